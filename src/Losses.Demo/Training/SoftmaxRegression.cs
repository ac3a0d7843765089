using System.Diagnostics;
using Losses.Demo.Data;

namespace Losses.Demo.Training;

/// <summary>One epoch of training: mean training loss over the epoch's batches, and accuracies after the epoch.</summary>
internal readonly record struct EpochResult(int Epoch, double TrainLoss, double TrainAccuracy, double TestAccuracy, double Milliseconds);

/// <summary>
/// The loss of a batch: mean loss returned, dL/dlogits written to the gradient ([rows, classCount]); scratch is
/// 2·rows·classCount floats the loss may use.
/// </summary>
internal delegate float BatchLoss(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels, int classCount, Span<float> gradient, Span<float> scratch);

/// <summary>Multinomial logistic (softmax) regression: one linear layer trained by mini-batch SGD on a given loss.</summary>
internal static class SoftmaxRegression
{
    public static (Linear Model, List<EpochResult> History) Train(
        Dataset train, Dataset test, BatchLoss loss, int epochs, float learningRate, int batchSize, int seed,
        Action<EpochResult>? onEpoch = null, string label = "training")
    {
        var model = new Linear(train.FeatureCount, train.ClassCount, new Random(seed));
        var batches = new MiniBatches(train, batchSize, seed + 1);
        int c = train.ClassCount;
        var logits = new float[batchSize * c];
        var gradient = new float[batchSize * c];
        var scratch = new float[2 * batchSize * c];
        var history = new List<EpochResult>();
        using var progress = new Report.Progress(label, epochs * batches.PerEpoch);
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            long start = Stopwatch.GetTimestamp();
            batches.Shuffle();
            double sum = 0;
            for (int b = 0; b < batches.PerEpoch; b++)
            {
                int rows = batches.Load(b);
                model.Forward(batches.Features, rows, logits);
                float batchLoss = loss(logits.AsSpan(0, rows * c), batches.Labels.AsSpan(0, rows), c, gradient, scratch);
                sum += batchLoss * rows;
                model.Backward(batches.Features, rows, gradient, default);
                model.Step(learningRate);
                progress.Report((epoch - 1) * batches.PerEpoch + b + 1, $"epoch {epoch} loss {batchLoss:F4}");
            }
            var result = new EpochResult(epoch, sum / train.Rows,
                Linear.Accuracy(model.Predict(train), train.Labels),
                Linear.Accuracy(model.Predict(test), test.Labels),
                Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            history.Add(result);
            progress.Clear();
            onEpoch?.Invoke(result);
        }
        return (model, history);
    }
}
