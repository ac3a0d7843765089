using System.Text.RegularExpressions;

namespace Losses.Tests.Docs;

/// <summary>
/// The documentation shows tested code: every snippet a guide page includes exists as a region here, and every code block
/// of the package readme is, verbatim, in <see cref="PackageSnippets"/>.
/// </summary>
public partial class DocsPagesTests
{
    private static string Root
    {
        get
        {
            var directory = new DirectoryInfo(AppContext.BaseDirectory);
            while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Losses.sln")))
            {
                directory = directory.Parent;
            }
            return directory?.FullName ?? throw new InvalidOperationException("Losses.sln not found above " + AppContext.BaseDirectory);
        }
    }

    [GeneratedRegex(@"\[!code-csharp\[[^\]]*\]\(([^)#]+)#([^)]+)\)\]")]
    private static partial Regex SnippetInclude();

    [GeneratedRegex(@"```csharp\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex CSharpBlock();

    [Fact]
    public void Every_included_snippet_is_a_region_of_a_test_file()
    {
        string[] pages = Directory.GetFiles(Path.Combine(Root, "docs"), "*.md", SearchOption.AllDirectories);
        int includes = 0;
        foreach (string page in pages)
        {
            foreach (Match m in SnippetInclude().Matches(File.ReadAllText(page)))
            {
                string file = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(page)!, m.Groups[1].Value));
                Assert.True(File.Exists(file), $"{page}: {m.Groups[1].Value} does not exist");
                Assert.StartsWith(Path.Combine(Root, "tests"), file);
                string text = File.ReadAllText(file);
                string name = m.Groups[2].Value;
                Assert.True(text.Contains($"// <{name}>", StringComparison.Ordinal) && text.Contains($"// </{name}>", StringComparison.Ordinal),
                    $"{page}: no region '{name}' in {m.Groups[1].Value}");
                includes++;
            }
        }
        Assert.True(includes >= 7, $"only {includes} snippet includes in docs/");
    }

    [Fact]
    public void Package_readme_code_is_tested_code()
    {
        string readme = File.ReadAllText(Path.Combine(Root, "src", "Losses", "PACKAGE.md")).ReplaceLineEndings("\n");
        string tested = Normalize(File.ReadAllText(Path.Combine(Root, "tests", "Losses.Tests", "Docs", "PackageSnippets.cs")));
        int blocks = 0;
        foreach (Match m in CSharpBlock().Matches(readme))
        {
            foreach (string line in m.Groups[1].Value.Split('\n'))
            {
                string code = line.Trim();
                if (code.Length == 0 || code.StartsWith("using ", StringComparison.Ordinal))
                {
                    continue;
                }
                // The readme calls Softmax.Forward; inside PackageSnippets.Softmax() that name needs its namespace.
                Assert.True(tested.Contains(code, StringComparison.Ordinal) || tested.Contains("Losses." + code, StringComparison.Ordinal),
                    $"PACKAGE.md line not in PackageSnippets.cs: {code}");
            }
            blocks++;
        }
        Assert.Equal(3, blocks);
    }

    private static string Normalize(string text) => string.Join("\n", text.ReplaceLineEndings("\n").Split('\n').Select(l => l.Trim()));
}
