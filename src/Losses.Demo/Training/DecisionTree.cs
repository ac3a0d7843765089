using Losses.Demo.Data;

namespace Losses.Demo.Training;

/// <summary>The best split of one feature: rows with value ≤ Threshold go left. Gain is in nats.</summary>
internal readonly record struct Split(int Feature, float Threshold, double Gain);

/// <summary>
/// Best-threshold search by information gain, and a small depth-limited tree grown from it (ID3/C4.5 style on numeric
/// features: thresholds are midpoints between consecutive distinct values, as scikit-learn's trees).
/// </summary>
internal static class DecisionTree
{
    /// <summary>The threshold of <paramref name="feature"/> over <paramref name="rows"/> with the largest information gain.</summary>
    public static Split BestThreshold(Dataset data, int feature, int[] rows)
    {
        var values = new float[rows.Length];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            values[i] = data.Features[rows[i] * data.FeatureCount + feature];
            labels[i] = data.Labels[rows[i]];
        }
        var (threshold, gain) = Objectives.BestThreshold(values, labels);
        return new Split(feature, threshold, gain);
    }

    public static Split[] RankFeatures(Dataset data)
    {
        int[] all = Enumerable.Range(0, data.Rows).ToArray();
        return [.. Enumerable.Range(0, data.FeatureCount).Select(f => BestThreshold(data, f, all)).OrderByDescending(s => s.Gain)];
    }

    public static Node Grow(Dataset data, int maxDepth, int minRows = 5) => Grow(data, Enumerable.Range(0, data.Rows).ToArray(), maxDepth, minRows);

    private static Node Grow(Dataset data, int[] rows, int depth, int minRows)
    {
        int[] counts = new int[data.ClassCount];
        foreach (int r in rows)
        {
            counts[data.Labels[r]]++;
        }
        int majority = Array.IndexOf(counts, counts.Max());
        if (depth == 0 || rows.Length < minRows || counts.Count(n => n > 0) == 1)
        {
            return new Node(majority, counts, null, null, null);
        }
        Split best = Enumerable.Range(0, data.FeatureCount).Select(f => BestThreshold(data, f, rows)).MaxBy(s => s.Gain);
        if (best.Gain <= 0)
        {
            return new Node(majority, counts, null, null, null);
        }
        int[] left = [.. rows.Where(r => data.Features[r * data.FeatureCount + best.Feature] <= best.Threshold)];
        int[] right = [.. rows.Where(r => data.Features[r * data.FeatureCount + best.Feature] > best.Threshold)];
        return new Node(majority, counts, best, Grow(data, left, depth - 1, minRows), Grow(data, right, depth - 1, minRows));
    }

    internal sealed record Node(int Majority, int[] Counts, Split? Split, Node? Left, Node? Right)
    {
        public int Predict(ReadOnlySpan<float> row) =>
            Split is { } s ? (row[s.Feature] <= s.Threshold ? Left! : Right!).Predict(row) : Majority;

        public double Accuracy(Dataset data) =>
            (double)Enumerable.Range(0, data.Rows).Count(r => Predict(data.Row(r)) == data.Labels[r]) / data.Rows;

        public IEnumerable<string> Describe(Dataset data, string indent = "")
        {
            if (Split is not { } s)
            {
                yield return $"{indent}→ {data.ClassNames[Majority]}  [{string.Join("/", Counts)}]";
                yield break;
            }
            string name = data.FeatureNames[s.Feature];
            yield return $"{indent}{name} ≤ {s.Threshold:G4}  (gain {s.Gain:F3} nats, [{string.Join("/", Counts)}])";
            foreach (string line in Left!.Describe(data, indent + "│  "))
            {
                yield return line;
            }
            yield return $"{indent}{name} > {s.Threshold:G4}";
            foreach (string line in Right!.Describe(data, indent + "   "))
            {
                yield return line;
            }
        }
    }
}
