using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Training;

namespace Losses.Demo.Sections;

/// <summary>2. Why cross-entropy and not MSE for classification: the same model, steps and learning rate, two losses.</summary>
internal static class CrossEntropyVsMseSection
{
    public const int Epochs = 10;

    public static (List<EpochResult> CrossEntropy, List<EpochResult> Mse) Run(DemoContext context, Dataset train, Dataset test, bool checkDigits)
    {
        float rate = SoftmaxRegressionSection.LearningRate;
        int batch = SoftmaxRegressionSection.BatchSize;
        context.Heading("2", $"Cross-entropy vs MSE on the softmax outputs ({DemoContext.DataName(train)})",
            $"The same linear model, initial weights, batches and learning rate ({rate}), {Epochs} epochs each; only the loss differs.\n" +
            "MSE here is Σ_c (softmax(z)_c − onehot_c)² averaged over rows, back-propagated through Softmax.Backward.");
        var (_, ce) = SoftmaxRegression.Train(train, test,
            (logits, labels, c, gradient, scratch) => Objectives.CrossEntropy(logits, labels, c, 0f, gradient, scratch),
            Epochs, rate, batch, context.Seed, label: "cross-entropy");
        var (_, mse) = SoftmaxRegression.Train(train, test, Objectives.SquaredErrorOfSoftmax,
            Epochs, rate, batch, context.Seed, label: "MSE");
        int stepsPerEpoch = (train.Rows + batch - 1) / batch;
        var table = new Table(context.Out, ("epoch", 5), ("steps", 5), ("CE loss", 8), ("CE test acc", 11), ("MSE loss", 8), ("MSE test acc", 12));
        table.Header();
        for (int i = 0; i < Epochs; i++)
        {
            table.Row((i + 1).ToString(), ((i + 1) * stepsPerEpoch).ToString(), Table.F(ce[i].TrainLoss), Table.Percent(ce[i].TestAccuracy),
                Table.F(mse[i].TrainLoss), Table.Percent(mse[i].TestAccuracy));
        }

        context.Out.WriteLine();
        context.Out.WriteLine("  The gradient each loss gives one confidently wrong prediction (true class 0, logit m on class 3, 0 elsewhere):");
        context.Out.WriteLine();
        var gradients = new Table(context.Out, ("m", 4), ("p(true)", 9), ("|∇z CE|", 9), ("|∇z MSE|", 9), ("CE / MSE", 9));
        gradients.Header();
        double ratioAt10 = 0;
        foreach (float m in new[] { 0f, 2f, 5f, 10f, 15f })
        {
            float[] logits = new float[10];
            logits[3] = m;
            var (ceNorm, mseNorm, pTrue) = GradientNorms(logits, 0);
            double ratio = ceNorm / mseNorm;
            if (m == 10f)
            {
                ratioAt10 = ratio;
            }
            gradients.Row(Table.F(m, 0), Table.G(pTrue), Table.G(ceNorm), Table.G(mseNorm), Table.G(ratio) + "×");
        }
        context.Out.WriteLine();
        context.Out.WriteLine("  Cross-entropy's gradient stays ≈ √2 however wrong the model is; MSE's vanishes with p(true), so a confident");
        context.Out.WriteLine("  mistake is the one MSE corrects slowest.");

        int ceSteps = StepsTo(ce, 0.9, stepsPerEpoch), mseSteps = StepsTo(mse, 0.9, stepsPerEpoch);
        context.Out.WriteLine($"  Steps to 90% test accuracy: cross-entropy {Steps(ceSteps)}, MSE {Steps(mseSteps)}.");
        context.Checks.Add("gradient at a confident mistake (m = 10): CE ≥ 100× MSE", ratioAt10 >= 100, $"{Table.G(ratioAt10)}×");
        if (checkDigits)
        {
            context.Checks.Add("digits: cross-entropy ahead of MSE after epoch 1 (test acc)", ce[0].TestAccuracy > mse[0].TestAccuracy,
                $"{Table.Percent(ce[0].TestAccuracy)} vs {Table.Percent(mse[0].TestAccuracy)}");
            context.Checks.Add($"digits: cross-entropy at least MSE after {Epochs} epochs (test acc)", ce[^1].TestAccuracy >= mse[^1].TestAccuracy,
                $"{Table.Percent(ce[^1].TestAccuracy)} vs {Table.Percent(mse[^1].TestAccuracy)}");
            context.Checks.Add("digits: cross-entropy reaches 90% test acc in fewer steps than MSE", ceSteps < mseSteps,
                $"{Steps(ceSteps)} vs {Steps(mseSteps)} steps");
        }
        return (ce, mse);
    }

    private static int StepsTo(List<EpochResult> history, double accuracy, int stepsPerEpoch) =>
        history.FindIndex(h => h.TestAccuracy >= accuracy) is int i and >= 0 ? (i + 1) * stepsPerEpoch : int.MaxValue;

    private static string Steps(int steps) => steps == int.MaxValue ? "never" : steps.ToString();

    /// <summary>‖∇z‖ of cross-entropy and of MSE on the softmax for one row of logits, and the softmax probability of the label.</summary>
    internal static (double Ce, double Mse, double PTrue) GradientNorms(float[] logits, int label)
    {
        int c = logits.Length;
        var gradient = new float[c];
        var scratch = new float[2 * c];
        int[] labels = [label];
        Objectives.CrossEntropy(logits, labels, c, 0f, gradient, scratch);
        double ce = Math.Sqrt(gradient.Sum(g => (double)g * g));
        Objectives.SquaredErrorOfSoftmax(logits, labels, c, gradient, scratch);
        double mse = Math.Sqrt(gradient.Sum(g => (double)g * g));
        var probabilities = new float[c];
        Softmax.Forward<float>(logits, probabilities);
        return (ce, mse, probabilities[label]);
    }
}
