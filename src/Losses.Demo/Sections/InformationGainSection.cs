using System.Diagnostics;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>4. Information gain: rank features by their best threshold's gain, then grow a small tree from that search.</summary>
internal static class InformationGainSection
{
    public const int Depth = 3;

    public static double Run(DemoContext context, Dataset train, Dataset test, bool checkBreastCancer)
    {
        string name = train.Name.Replace(" (train)", "", StringComparison.Ordinal);
        context.Heading("4", $"Information gain on {name}: best thresholds and a depth-{Depth} tree",
            "Gain of a split = H(parent) − Σ (n_side/n)·H(side), entropy in nats over the class histogram; the best threshold of a\n" +
            "feature is the one with the largest gain among midpoints of consecutive values (training rows only, raw units).");
        long start = Stopwatch.GetTimestamp();
        Split[] ranked = DecisionTree.RankFeatures(train);
        double rankMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        var table = new Table(context.Out, ("rank", 4), ("feature", -24), ("best threshold", 14), ("gain (nats)", 11), ("gain (bits)", 11));
        table.Header();
        for (int i = 0; i < Math.Min(10, ranked.Length); i++)
        {
            Split s = ranked[i];
            table.Row((i + 1).ToString(), train.FeatureNames[s.Feature], Table.G(s.Threshold, 4), Table.F(s.Gain), Table.F(s.Gain / Math.Log(2)));
        }
        context.Out.WriteLine($"  ({ranked.Length} features ranked in {Table.F(rankMs, 1)} ms)");
        context.Out.WriteLine();

        start = Stopwatch.GetTimestamp();
        DecisionTree.Node tree = DecisionTree.Grow(train, Depth);
        double growMs = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        foreach (string line in tree.Describe(train))
        {
            context.Out.WriteLine("  " + line);
        }
        double trainAccuracy = tree.Accuracy(train);
        double testAccuracy = tree.Accuracy(test);
        context.Out.WriteLine();
        context.Out.WriteLine($"  Depth-{Depth} tree: train accuracy {Table.Percent(trainAccuracy)}, test accuracy {Table.Percent(testAccuracy)} " +
            $"(grown in {Table.F(growMs, 1)} ms; leaves show [{string.Join("/", train.ClassNames)}] counts).");
        if (checkBreastCancer)
        {
            context.Checks.AtLeast($"breast_cancer: depth-{Depth} information-gain tree test accuracy", testAccuracy, 0.90);
            context.Checks.Add("breast_cancer: best single threshold gains > 0.3 nats", ranked[0].Gain > 0.3,
                $"{train.FeatureNames[ranked[0].Feature]}, {Table.F(ranked[0].Gain, 3)} nats");
        }
        return testAccuracy;
    }
}
