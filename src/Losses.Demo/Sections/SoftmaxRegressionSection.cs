using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>1. Softmax regression trained with the fused cross-entropy + gradient, on digits or on the user's CSV.</summary>
internal static class SoftmaxRegressionSection
{
    public const int Epochs = 15;
    public const float LearningRate = 0.1f;
    public const int BatchSize = 32;

    public static List<EpochResult> Run(DemoContext context, Dataset train, Dataset test, float labelSmoothing, bool checkDigits)
    {
        // Digits: 43 batches an epoch, 15 epochs. A small user data set gets more epochs (≈ 600 SGD steps in all) and the
        // table shows at most 15 of them.
        int perEpoch = (train.Rows + BatchSize - 1) / BatchSize;
        int epochs = Math.Clamp((600 + perEpoch - 1) / perEpoch, Epochs, 300);
        int stride = (epochs + Epochs - 1) / Epochs;
        context.Heading("1", $"Softmax regression on {train.Name.Replace(" (train)", "", StringComparison.Ordinal)}, cross-entropy with its fused gradient",
            $"A linear model (logits = x·Wᵀ + b, {train.FeatureCount} features → {train.ClassCount} classes), mini-batch SGD, " +
            $"batch {BatchSize}, learning rate {LearningRate}, {epochs} epochs, seed {context.Seed}.\n" +
            $"Train {train.Rows} rows, test {test.Rows} rows (stratified split, features standardised on the training part)." +
            (labelSmoothing > 0 ? $"\nLabel smoothing {labelSmoothing}." : ""));
        var table = new Table(context.Out, ("epoch", 5), ("train loss", 10), ("train acc", 9), ("test acc", 8), ("ms", 6));
        table.Header();
        float smoothing = labelSmoothing;
        var (_, history) = SoftmaxRegression.Train(train, test,
            (logits, labels, c, gradient, scratch) => Objectives.CrossEntropy(logits, labels, c, smoothing, gradient, scratch),
            epochs, LearningRate, BatchSize, context.Seed,
            e =>
            {
                if (e.Epoch == 1 || e.Epoch % stride == 0)
                {
                    table.Row(e.Epoch.ToString(), Table.F(e.TrainLoss), Table.Percent(e.TrainAccuracy), Table.Percent(e.TestAccuracy), Table.F(e.Milliseconds, 1));
                }
            },
            "cross-entropy");
        EpochResult last = history[^1];
        context.Out.WriteLine();
        context.Out.WriteLine($"  Final test accuracy: {Table.Percent(last.TestAccuracy)} ({(int)Math.Round(last.TestAccuracy * test.Rows)}/{test.Rows}); " +
            $"{epochs} epochs in {Table.F(history.Sum(h => h.Milliseconds), 0)} ms.");

        if (labelSmoothing == 0)
        {
            // The same run with PyTorch's label_smoothing=0.1: a softer target, usually the same accuracy, less confident.
            var (_, smoothed) = SoftmaxRegression.Train(train, test,
                (logits, labels, c, gradient, scratch) => Objectives.CrossEntropy(logits, labels, c, 0.1f, gradient, scratch),
                epochs, LearningRate, BatchSize, context.Seed, label: "label smoothing 0.1");
            context.Out.WriteLine($"  Same run with labelSmoothing 0.1: test accuracy {Table.Percent(smoothed[^1].TestAccuracy)}, " +
                $"final training loss {Table.F(smoothed[^1].TrainLoss)} (its floor is the smoothed target's entropy, not 0).");
        }
        if (checkDigits)
        {
            context.Checks.AtLeast("digits: softmax regression test accuracy (cross-entropy)", last.TestAccuracy, 0.90);
        }
        return history;
    }
}
