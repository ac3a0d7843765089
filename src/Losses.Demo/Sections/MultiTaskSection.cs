using System.Diagnostics;
using System.Numerics.Tensors;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>
/// 5. Multi-task learning: one shared hidden layer, two heads (the digit; "digit ≥ 5"), the two cross-entropies combined
/// with equal weights, uncertainty weighting (Kendall et al. 2018) or dynamic weight average (Liu et al. 2019).
/// </summary>
internal static class MultiTaskSection
{
    public const int Epochs = 12;
    public const int Hidden = 32;
    public const float LearningRate = 0.05f;
    public const int BatchSize = 32;

    public sealed record Outcome(string Scheme, double DigitAccuracy, double HighAccuracy, List<float[]> Weights, List<double> TotalLoss, double Milliseconds);

    public static List<Outcome> Run(DemoContext context, Dataset train, Dataset test)
    {
        context.Heading("5", "Multi-task: one shared layer, two heads, three ways to weigh the losses (digits)",
            $"Shared: 64 → {Hidden} tanh; head A: {Hidden} → 10 (the digit); head B: {Hidden} → 2 (digit ≥ 5). Loss = w_A·CE_A + w_B·CE_B.\n" +
            $"SGD, batch {BatchSize}, learning rate {LearningRate}, {Epochs} epochs, same initial weights for every scheme.\n" +
            "Equal: FixedLossWeights [1, 1]. Uncertainty: UncertaintyWeighting (w = exp(−s), s learned, rate 0.05).\n" +
            "DWA: DynamicWeightAverage, temperature 2, weights from the last two epochs' mean losses.");
        var outcomes = new List<Outcome>
        {
            Train(context, train, test, "equal", new FixedLossWeights<float>([1f, 1f]), perEpoch: false),
            Train(context, train, test, "uncertainty", new UncertaintyWeighting<float>(2, 0.05f), perEpoch: false),
            Train(context, train, test, "DWA", new DynamicWeightAverage<float>(2, 2f), perEpoch: true),
        };

        var weights = new Table(context.Out, ("epoch", 5), ("uncertainty w_A", 15), ("uncertainty w_B", 15), ("DWA w_A", 7), ("DWA w_B", 7));
        weights.Header();
        for (int e = 0; e < Epochs; e++)
        {
            float[] uw = outcomes[1].Weights[e], dwa = outcomes[2].Weights[e];
            weights.Row((e + 1).ToString(), Table.F(uw[0], 3), Table.F(uw[1], 3), Table.F(dwa[0], 3), Table.F(dwa[1], 3));
        }
        context.Out.WriteLine("  (weights in force at the end of each epoch; A = digit, B = digit ≥ 5)");
        context.Out.WriteLine();
        var summary = new Table(context.Out, ("scheme", -11), ("digit test acc", 14), ("≥5 test acc", 11), ("final w_A", 9), ("final w_B", 9), ("ms", 6));
        summary.Header();
        foreach (Outcome o in outcomes)
        {
            summary.Row(o.Scheme, Table.Percent(o.DigitAccuracy), Table.Percent(o.HighAccuracy), Table.F(o.Weights[^1][0], 3), Table.F(o.Weights[^1][1], 3),
                Table.F(o.Milliseconds, 0));
        }
        context.Out.WriteLine();
        context.Out.WriteLine("  Uncertainty weighting drives each weight towards 1/L (s → log L): the easier binary task, with the smaller");
        context.Out.WriteLine("  loss, gets the larger weight, and both weights grow as the losses shrink (a larger effective step).");
        context.Out.WriteLine("  DWA raises the weight of whichever loss fell slowest over the last two epochs; here both fall alike, so ≈ 1.");
        foreach (Outcome o in outcomes)
        {
            context.Checks.AtLeast($"multi-task ({o.Scheme}): digit head test accuracy", o.DigitAccuracy, 0.90);
            context.Checks.AtLeast($"multi-task ({o.Scheme}): digit ≥ 5 head test accuracy", o.HighAccuracy, 0.90);
        }
        return outcomes;
    }

    private static Outcome Train(DemoContext context, Dataset train, Dataset test, string scheme, ILossBalancer<float> balancer, bool perEpoch)
    {
        long start = Stopwatch.GetTimestamp();
        var random = new Random(context.Seed);
        var shared = new Linear(train.FeatureCount, Hidden, random);
        var headA = new Linear(Hidden, 10, random);
        var headB = new Linear(Hidden, 2, random);
        var batches = new MiniBatches(train, BatchSize, context.Seed + 1);
        var hidden = new float[BatchSize * Hidden];
        var logitsA = new float[BatchSize * 10];
        var logitsB = new float[BatchSize * 2];
        var gradA = new float[BatchSize * 10];
        var gradB = new float[BatchSize * 2];
        var scratch = new float[2 * BatchSize * 10];
        var hiddenGradA = new float[BatchSize * Hidden];
        var hiddenGradB = new float[BatchSize * Hidden];
        var labelsB = new int[BatchSize];
        float[] losses = new float[2], weights = new float[2];
        var dwa = balancer as DynamicWeightAverage<float>;
        var history = new List<float[]>();
        var totals = new List<double>();
        using var progress = new Progress(scheme, Epochs * batches.PerEpoch);
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            batches.Shuffle();
            double sumA = 0, sumB = 0, sumTotal = 0;
            if (perEpoch)
            {
                dwa!.GetWeights(weights);
            }
            for (int b = 0; b < batches.PerEpoch; b++)
            {
                int rows = batches.Load(b);
                Span<float> h = hidden.AsSpan(0, rows * Hidden);
                shared.Forward(batches.Features, rows, h);
                TensorPrimitives.Tanh(h, h);
                headA.Forward(h, rows, logitsA);
                headB.Forward(h, rows, logitsB);
                for (int i = 0; i < rows; i++)
                {
                    labelsB[i] = batches.Labels[i] >= 5 ? 1 : 0;
                }
                losses[0] = Objectives.CrossEntropy(logitsA.AsSpan(0, rows * 10), batches.Labels.AsSpan(0, rows), 10, 0f, gradA, scratch);
                losses[1] = Objectives.CrossEntropy(logitsB.AsSpan(0, rows * 2), labelsB.AsSpan(0, rows), 2, 0f, gradB, scratch);
                // The balancer turns the two task losses into one objective and says how much each task's gradient counts.
                float total = perEpoch ? weights[0] * losses[0] + weights[1] * losses[1] : balancer.Combine(losses, weights);
                sumA += losses[0] * rows;
                sumB += losses[1] * rows;
                sumTotal += total * rows;
                TensorPrimitives.Multiply(gradA, weights[0], gradA);
                TensorPrimitives.Multiply(gradB, weights[1], gradB);
                headA.Backward(h, rows, gradA, hiddenGradA);
                headB.Backward(h, rows, gradB, hiddenGradB);
                Span<float> dh = hiddenGradA.AsSpan(0, rows * Hidden);
                TensorPrimitives.Add(dh, hiddenGradB.AsSpan(0, rows * Hidden), dh);
                // tanh' = 1 − tanh²
                for (int i = 0; i < dh.Length; i++)
                {
                    dh[i] *= 1 - h[i] * h[i];
                }
                shared.Backward(batches.Features, rows, dh, default);
                shared.Step(LearningRate);
                headA.Step(LearningRate);
                headB.Step(LearningRate);
                progress.Report((epoch - 1) * batches.PerEpoch + b + 1, $"w = [{weights[0]:F2}, {weights[1]:F2}]");
            }
            if (perEpoch)
            {
                dwa!.Observe([(float)(sumA / train.Rows), (float)(sumB / train.Rows)]);
                dwa.GetWeights(weights);
            }
            history.Add((float[])weights.Clone());
            totals.Add(sumTotal / train.Rows);
        }
        progress.Clear();

        var testHidden = new float[test.Rows * Hidden];
        shared.Forward(test.Features, test.Rows, testHidden);
        TensorPrimitives.Tanh(testHidden, testHidden);
        var testA = new float[test.Rows * 10];
        var testB = new float[test.Rows * 2];
        headA.Forward(testHidden, test.Rows, testA);
        headB.Forward(testHidden, test.Rows, testB);
        double digit = Linear.Accuracy(Linear.Argmax(testA, 10), test.Labels);
        double high = Linear.Accuracy(Linear.Argmax(testB, 2), [.. test.Labels.Select(l => l >= 5 ? 1 : 0)]);
        return new Outcome(scheme, digit, high, history, totals, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
