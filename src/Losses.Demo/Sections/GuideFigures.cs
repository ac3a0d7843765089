using Losses.Demo.Data;

namespace Losses.Demo.Sections;

/// <summary>
/// The documentation's figures that are not training curves (<c>--figures DIR</c>): each is computed with the library
/// from the formula its guide page teaches, so the picture and the page cannot disagree.
/// </summary>
internal static class GuideFigures
{
    public static void AddTo(PlotBook book, Dataset cancerTrain)
    {
        CrossEntropyInBits(book);
        KLVersusCrossEntropy(book);
        BinaryCrossEntropyCurve(book);
        GradientOfAConfidentMistake(book);
        InformationGainOfThresholds(book, cancerTrain);
        SoftmaxOverflow(book);
    }

    private static double[] Grid(double from, double to, int count) =>
        [.. Enumerable.Range(0, count).Select(i => from + (to - from) * i / (count - 1))];

    private static void CrossEntropyInBits(PlotBook book)
    {
        double[] p = Grid(0.01, 1, 100);
        var panel = book.Panel("Cross-entropy of one example = −log p(true class)", "p(true class)", "loss",
            name: "cross-entropy-bits", integerX: false);
        panel.Series.Add(new("bits (logBase 2)", p, [.. p.Select(x => Entropy.Cross<double>([1.0, 0.0], [x, 1 - x], logBase: 2))]));
        panel.Series.Add(new("nats (natural log)", p, [.. p.Select(x => Entropy.Cross<double>([1.0, 0.0], [x, 1 - x], logBase: Math.E))]));
    }

    private static void KLVersusCrossEntropy(PlotBook book)
    {
        // Q slides from a wrong guess to the true P: H(P, Q) = H(P) + KL(P‖Q) falls to H(P), KL to 0.
        double[] p = [0.7, 0.2, 0.1], wrong = [0.1, 0.2, 0.7];
        double[] t = Grid(0, 1, 41);
        double[] Q(double s) => [.. p.Zip(wrong, (a, b) => s * a + (1 - s) * b)];
        var panel = book.Panel("P = [0.7, 0.2, 0.1], Q = t·P + (1 − t)·[0.1, 0.2, 0.7]", "t", "bits",
            legend: ScottPlot.Alignment.UpperRight, name: "kl-vs-cross-entropy", integerX: false);
        panel.Series.Add(new("cross-entropy H(P, Q)", t, [.. t.Select(s => Entropy.Cross<double>(p, Q(s), logBase: 2))]));
        panel.Series.Add(new("entropy H(P)", t, [.. t.Select(_ => Entropy.Of<double>(p, logBase: 2))]));
        panel.Series.Add(new("KL(P‖Q)", t, [.. t.Select(s => KLDivergence.Of<double>(p, Q(s), logBase: 2))]));
    }

    private static void BinaryCrossEntropyCurve(PlotBook book)
    {
        double[] x = Grid(-6, 6, 121);
        var panel = book.Panel("Binary cross-entropy from a logit x", "logit x", "loss (nats)",
            legend: ScottPlot.Alignment.UpperCenter, name: "bce-curve", integerX: false);
        panel.Series.Add(new("y = 1: log(1 + e^−x)", x, [.. x.Select(v => Entropy.BinaryCrossFromLogits<double>([1.0], [v]))]));
        panel.Series.Add(new("y = 0: log(1 + e^x)", x, [.. x.Select(v => Entropy.BinaryCrossFromLogits<double>([0.0], [v]))]));
    }

    private static void GradientOfAConfidentMistake(PlotBook book)
    {
        // True class 0, logit m on class 3, 0 elsewhere (the table of section 2).
        double[] m = Grid(0, 15, 31);
        var norms = m.Select(v =>
        {
            var logits = new float[10];
            logits[3] = (float)v;
            return CrossEntropyVsMseSection.GradientNorms(logits, 0);
        }).ToArray();
        var panel = book.Panel("Gradient at a confident mistake (10 classes)", "logit m of the wrong class", "‖gradient w.r.t. the logits‖",
            logY: true, legend: ScottPlot.Alignment.LowerLeft, name: "ce-vs-mse-gradient", integerX: false);
        panel.Series.Add(new("cross-entropy", m, [.. norms.Select(n => n.Ce)]));
        panel.Series.Add(new("MSE on softmax", m, [.. norms.Select(n => n.Mse)]));
    }

    private static void InformationGainOfThresholds(PlotBook book, Dataset train)
    {
        // For each feature, the gain of "x ≤ t" at every midpoint; the figure shows the feature with the highest peak.
        double bestGain = -1;
        (double[] T, double[] Gain, string Name) best = ([], [], "");
        var side = new int[train.Rows];
        for (int f = 0; f < train.FeatureCount; f++)
        {
            float[] column = [.. Enumerable.Range(0, train.Rows).Select(r => train.Features[r * train.FeatureCount + f])];
            float[] values = [.. column.Distinct().Order()];
            var thresholds = new List<double>();
            var gains = new List<double>();
            for (int i = 0; i + 1 < values.Length; i++)
            {
                double threshold = 0.5 * (values[i] + values[i + 1]);
                for (int r = 0; r < side.Length; r++)
                {
                    side[r] = column[r] <= threshold ? 0 : 1;
                }
                thresholds.Add(threshold);
                gains.Add(InformationGain.Of(train.Labels, side, logBase: 2));
            }
            if (gains.Count > 0 && gains.Max() > bestGain)
            {
                bestGain = gains.Max();
                best = ([.. thresholds], [.. gains], train.FeatureNames[f]);
            }
        }
        var panel = book.Panel($"Information gain of the split \"{best.Name} ≤ t\"", $"threshold t ({best.Name})", "gain (bits)",
            name: "information-gain", integerX: false);
        panel.Series.Add(new($"{DemoContext.DataName(train)}, training rows", best.T, best.Gain));
    }

    private static void SoftmaxOverflow(PlotBook book)
    {
        // Logits [m, m − 1, m − 2] in float: the naive exp(x)/Σexp(x) overflows to ∞/∞ = NaN once e^m passes float's
        // 3.4e38 (m > 88.7); NaN points are left out of the naive line.
        double[] m = Grid(0, 120, 121);
        double[] Stable(double v)
        {
            float[] logits = [(float)v, (float)v - 1, (float)v - 2];
            var p = new float[3];
            Softmax.Forward<float>(logits, p);
            return [p[0]];
        }
        static float Naive(double v)
        {
            float[] e = [MathF.Exp((float)v), MathF.Exp((float)v - 1), MathF.Exp((float)v - 2)];
            return e[0] / (e[0] + e[1] + e[2]);
        }
        double[] naiveX = [.. m.Where(v => float.IsFinite(Naive(v)))];
        var panel = book.Panel("Softmax of [m, m − 1, m − 2] in float: p(first)", "m", "p(first)",
            legend: ScottPlot.Alignment.LowerLeft, name: "softmax-overflow", integerX: false, yRange: (0, 1));
        panel.Series.Add(new("Softmax.Forward (max subtracted)", m, [.. m.Select(v => Stable(v)[0])]));
        panel.Series.Add(new("naive exp(x) / Σ exp(x): NaN for m > 88", naiveX, [.. naiveX.Select(v => (double)Naive(v))]));
    }
}
