using System.Text;

namespace Losses.Demo.Data;

/// <summary>
/// A word-level token stream: lower-cased words and the punctuation marks , . ; : ? ! as tokens, ids by frequency in the
/// training text (id 0 = &lt;unk&gt; for every word outside the vocabulary), as a tokenizer's <c>EncodeToIds</c> would give.
/// </summary>
internal sealed class WordCorpus
{
    private readonly Dictionary<string, int> _ids;

    private WordCorpus(string[] words)
    {
        Words = words;
        _ids = words.Select((w, i) => (w, i)).ToDictionary(p => p.w, p => p.i);
    }

    /// <summary>The vocabulary, most frequent first; Words[0] is &lt;unk&gt;.</summary>
    public string[] Words { get; }

    public int Size => Words.Length;

    /// <summary>The <paramref name="size"/> − 1 most frequent tokens of <paramref name="training"/> (ties by first appearance).</summary>
    public static WordCorpus Build(IEnumerable<string> training, int size)
    {
        var counts = new Dictionary<string, int>();
        var order = new List<string>();
        foreach (string token in training)
        {
            if (!counts.TryAdd(token, 1))
            {
                counts[token]++;
            }
            else
            {
                order.Add(token);
            }
        }
        string[] top = [.. order.OrderByDescending(t => counts[t]).Take(size - 1)];
        return new WordCorpus(["<unk>", .. top]);
    }

    public int[] Encode(IEnumerable<string> tokens) => [.. tokens.Select(t => _ids.GetValueOrDefault(t))];

    /// <summary>Splits text into lower-case words (letters and apostrophes) and punctuation tokens.</summary>
    public static IEnumerable<string> Tokenize(string text)
    {
        var word = new StringBuilder();
        foreach (char ch in text)
        {
            if (char.IsLetter(ch) || (ch == '\'' && word.Length > 0))
            {
                word.Append(char.ToLowerInvariant(ch));
                continue;
            }
            if (word.Length > 0)
            {
                yield return word.ToString();
                word.Clear();
            }
            if (ch is ',' or '.' or ';' or ':' or '?' or '!')
            {
                yield return ch.ToString();
            }
        }
        if (word.Length > 0)
        {
            yield return word.ToString();
        }
    }

    /// <summary>The verses of each book of <c>bible -l0</c> output (chapter headings name the book; verse numbers dropped).</summary>
    public static Dictionary<string, List<string>> Books(string[] lines)
    {
        var books = new Dictionary<string, List<string>>();
        List<string>? current = null;
        foreach (string line in lines)
        {
            if (line.Length == 0)
            {
                continue;
            }
            if (char.IsLetter(line[0]))
            {
                string book = line[..line.LastIndexOf(' ')];
                if (!books.TryGetValue(book, out current))
                {
                    current = [];
                    books[book] = current;
                }
                continue;
            }
            string verse = line.TrimStart();
            current?.Add(verse[(verse.IndexOf(' ') + 1)..]);
        }
        return books;
    }
}
