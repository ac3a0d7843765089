using System.Diagnostics;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>3. Logistic regression on breast_cancer with binary cross-entropy from logits, posWeight for the imbalance.</summary>
internal static class LogisticRegressionSection
{
    public const int Epochs = 20;
    public const float LearningRate = 0.05f;
    public const int BatchSize = 16;

    public sealed record Outcome(float PosWeight, List<double> Losses, double Accuracy, double MalignantRecall, double BenignRecall, double Milliseconds);

    public static List<Outcome> Run(DemoContext context, Dataset train, Dataset test)
    {
        int[] counts = train.ClassCounts();
        float posWeight = (float)counts[0] / counts[1];
        context.Heading("3", "Logistic regression on breast_cancer, binary cross-entropy from logits",
            $"Positive class = malignant ({counts[1]} of {train.Rows} training rows); posWeight = benign/malignant = {Table.F(posWeight, 3)} makes\n" +
            $"both classes weigh the same in the loss. One logit per row, SGD, batch {BatchSize}, learning rate {LearningRate}, {Epochs} epochs.");
        var outcomes = new List<Outcome> { Train(context, train, test, 1f), Train(context, train, test, posWeight) };

        var table = new Table(context.Out, ("posWeight", 9), ("train BCE", 9), ("test acc", 8), ("malignant recall", 16), ("benign recall", 13), ("ms", 5));
        table.Header();
        foreach (Outcome o in outcomes)
        {
            table.Row(Table.F(o.PosWeight, 3), Table.F(o.Losses[^1]), Table.Percent(o.Accuracy), Table.Percent(o.MalignantRecall),
                Table.Percent(o.BenignRecall), Table.F(o.Milliseconds, 1));
        }
        context.Out.WriteLine();
        context.Out.WriteLine("  posWeight trades benign recall for malignant recall: a missed malignancy costs more than a false alarm.");
        context.Checks.AtLeast("breast_cancer: logistic regression test accuracy (posWeight)", outcomes[1].Accuracy, 0.93);
        context.Checks.Add("breast_cancer: posWeight does not lower malignant recall", outcomes[1].MalignantRecall >= outcomes[0].MalignantRecall,
            $"{Table.Percent(outcomes[1].MalignantRecall)} vs {Table.Percent(outcomes[0].MalignantRecall)}");
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
        int correct = 0, malignant = 0, malignantFound = 0, benign = 0, benignFound = 0;
        for (int i = 0; i < test.Rows; i++)
        {
            int predicted = testLogits[i] > 0 ? 1 : 0;
            correct += predicted == test.Labels[i] ? 1 : 0;
            if (test.Labels[i] == 1)
            {
                malignant++;
                malignantFound += predicted;
            }
            else
            {
                benign++;
                benignFound += 1 - predicted;
            }
        }
        return new Outcome(posWeight, losses, (double)correct / test.Rows, (double)malignantFound / malignant, (double)benignFound / benign,
            Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
