using System.Diagnostics;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>
/// 3. Logistic regression with binary cross-entropy from logits, posWeight for the imbalance: on breast_cancer, or on a
/// user's CSV whose label has two classes (the second class in sorted order is the positive one).
/// </summary>
internal static class LogisticRegressionSection
{
    public const int Epochs = 20;
    public const float LearningRate = 0.05f;
    public const int BatchSize = 16;

    public sealed record Outcome(float PosWeight, List<double> Losses, double Accuracy, double PositiveRecall, double NegativeRecall, double Milliseconds);

    public static List<Outcome> Run(DemoContext context, Dataset train, Dataset test, bool checkBreastCancer)
    {
        int[] counts = train.ClassCounts();
        float posWeight = (float)counts[0] / counts[1];
        string positive = train.ClassNames[1], negative = train.ClassNames[0];
        context.Heading("3", $"Logistic regression on {DemoContext.DataName(train)}, binary cross-entropy from logits",
            $"Positive class = {positive} ({counts[1]} of {train.Rows} training rows); posWeight = {negative}/{positive} = {Table.F(posWeight, 3)} makes\n" +
            $"both classes weigh the same in the loss. One logit per row, SGD, batch {BatchSize}, learning rate {LearningRate}, {Epochs} epochs.");
        var outcomes = new List<Outcome> { Train(context, train, test, 1f), Train(context, train, test, posWeight) };

        var table = new Table(context.Out, ("posWeight", 9), ("train BCE", 9), ("test acc", 8), ($"{positive} recall", 16), ($"{negative} recall", 13), ("ms", 5));
        table.Header();
        foreach (Outcome o in outcomes)
        {
            table.Row(Table.F(o.PosWeight, 3), Table.F(o.Losses[^1]), Table.Percent(o.Accuracy), Table.Percent(o.PositiveRecall),
                Table.Percent(o.NegativeRecall), Table.F(o.Milliseconds, 1));
        }
        context.Out.WriteLine();
        context.Out.WriteLine(checkBreastCancer
            ? "  posWeight trades benign recall for malignant recall: a missed malignancy costs more than a false alarm."
            : $"  posWeight weighs each {positive} row by {Table.F(posWeight, 3)}: it trades {negative} recall for {positive} recall.");
        if (checkBreastCancer)
        {
            context.Checks.AtLeast("breast_cancer: logistic regression test accuracy (posWeight)", outcomes[1].Accuracy, 0.93);
            context.Checks.Add("breast_cancer: posWeight does not lower malignant recall", outcomes[1].PositiveRecall >= outcomes[0].PositiveRecall,
                $"{Table.Percent(outcomes[1].PositiveRecall)} vs {Table.Percent(outcomes[0].PositiveRecall)}");
        }
        return outcomes;
    }

    private static Outcome Train(DemoContext context, Dataset train, Dataset test, float posWeight)
    {
        long start = Stopwatch.GetTimestamp();
        var model = new Linear(train.FeatureCount, 1, new Random(context.Seed));
        var batches = new MiniBatches(train, BatchSize, context.Seed + 1);
        var logits = new float[BatchSize];
        var targets = new float[BatchSize];
        var gradient = new float[BatchSize];
        var losses = new List<double>();
        using var progress = new Progress($"posWeight {posWeight:F2}", Epochs * batches.PerEpoch);
        for (int epoch = 1; epoch <= Epochs; epoch++)
        {
            batches.Shuffle();
            double sum = 0;
            for (int b = 0; b < batches.PerEpoch; b++)
            {
                int rows = batches.Load(b);
                model.Forward(batches.Features, rows, logits);
                for (int i = 0; i < rows; i++)
                {
                    targets[i] = batches.Labels[i];
                }
                sum += rows * Objectives.BinaryCrossEntropyWithLogits(logits.AsSpan(0, rows), targets.AsSpan(0, rows), posWeight, gradient);
                model.Backward(batches.Features, rows, gradient, default);
                model.Step(LearningRate);
                progress.Report((epoch - 1) * batches.PerEpoch + b + 1);
            }
            losses.Add(sum / train.Rows);
        }
        progress.Clear();

        var testLogits = new float[test.Rows];
        model.Forward(test.Features, test.Rows, testLogits);
        int correct = 0, positives = 0, positivesFound = 0, negatives = 0, negativesFound = 0;
        for (int i = 0; i < test.Rows; i++)
        {
            int predicted = testLogits[i] > 0 ? 1 : 0;
            correct += predicted == test.Labels[i] ? 1 : 0;
            if (test.Labels[i] == 1)
            {
                positives++;
                positivesFound += predicted;
            }
            else
            {
                negatives++;
                negativesFound += 1 - predicted;
            }
        }
        return new Outcome(posWeight, losses, (double)correct / test.Rows, (double)positivesFound / Math.Max(1, positives), (double)negativesFound / Math.Max(1, negatives),
            Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
