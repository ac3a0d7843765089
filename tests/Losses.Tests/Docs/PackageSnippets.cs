namespace Losses.Tests.Docs;

/// <summary>
/// The examples of the package readme (src/Losses/PACKAGE.md, the NuGet page), run; <see cref="DocsPagesTests"/> checks
/// that each of the readme's code blocks is in this file verbatim.
/// </summary>
public static class PackageSnippets
{
    public static (float[] P, float Lse) Softmax()
    {
        float[] logits = [1000f, 1000f, float.NegativeInfinity];
        var p = new float[3];
        Losses.Softmax.Forward<float>(logits, p);             // [0.5, 0.5, 0]
        float lse = LogSumExp.Forward<float>(logits);  // 1000 + ln 2, prints 1000.6932
        return (p, lse);
    }

    public static (float Loss, float[] Gradient) CrossEntropyBatch()
    {
        float[] batch = [2f, 1f, 0.1f, 0.5f, 2.5f, 0.3f];
        int[] targets = [0, 1];
        var gradient = new float[batch.Length];
        float loss = CrossEntropy.Forward<float>(batch, targets, classCount: 3, gradient: gradient);  // ≈ 0.3185
        return (loss, gradient);
    }

    public static (double H, double KL) EntropyInBits()
    {
        double h  = Entropy.Of([0.5, 0.25, 0.25], logBase: 2);              // ≈ 1.5 bits
        double kl = KLDivergence.Of([0.5, 0.5], [0.9, 0.1], logBase: 2);    // ≈ 0.737 bits
        return (h, kl);
    }
}
