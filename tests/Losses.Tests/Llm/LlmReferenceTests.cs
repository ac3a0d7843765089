using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>
/// Cross-entropy with z-loss, soft-capping, weights, smoothing and ignore index, and token log-probabilities and entropies,
/// against PyTorch compositions and autograd (Reference/llm.json, made by llm_reference.py), for float, double, Half and
/// bfloat16 logits, in one slice and in three uneven slices.
/// </summary>
public class LlmReferenceTests
{
    private const string File = "llm.json";

    public static TheoryData<string> CrossEntropyCases => Reference.Names(File, c => c.Text("kind") == "ce");

    public static TheoryData<string> TokenCases => Reference.Names(File, c => c.Text("kind") == "token");

    private static bool Is16Bit(JsonElement c) => c.TryGetProperty("storage", out _);

    private static (double Relative, double Absolute) Tolerance(JsonElement c) =>
        c.Text("dtype") == "float64" && !Is16Bit(c) ? (1e-12, 1e-14) : (3e-5, 3e-6);

    private static int[][] Slicings(int classes) => [[0, classes], [0, classes / 3, classes / 3 + 1, classes]];

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void Cross_entropy_matches_pytorch(string name)
    {
        var c = Reference.Case(File, name);
        foreach (int[] cuts in Slicings(c.Int("classCount")))
        {
            foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
            {
                if (c.Text("dtype") == "float64" && !Is16Bit(c))
                {
                    CheckCrossEntropy<double, double>(c, cuts, reduction, c.Values<double>("logits"));
                }
                else if (!Is16Bit(c))
                {
                    CheckCrossEntropy<float, float>(c, cuts, reduction, c.Values<float>("logits"));
                }
                else if (c.Text("storage") == "float16")
                {
                    CheckCrossEntropy<float, Half>(c, cuts, reduction, [.. Bits(c).Select(b => BitConverter.UInt16BitsToHalf(b))]);
                }
                else
                {
                    CheckCrossEntropy<float, BFloat16>(c, cuts, reduction, [.. Bits(c).Select(BFloat16.FromBits)]);
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(CrossEntropyCases))]
    public void One_shot_cross_entropy_matches_pytorch(string name)
    {
        var c = Reference.Case(File, name);
        int classes = c.Int("classCount"), rows = c.Int("rows");
        int[] targets = [.. c.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32())];
        long[] longTargets = [.. targets.Select(t => (long)t)];
        double smoothing = c.Scalar("labelSmoothing"), zLoss = c.Scalar("zLoss"), softCap = c.Scalar("softCap");
        var (relative, absolute) = Tolerance(c);
        foreach (var reduction in new[] { Reduction.None, Reduction.Sum, Reduction.Mean })
        {
            string what = $"{name} {reduction}";
            if (c.Text("dtype") == "float64" && !Is16Bit(c))
            {
                double[] x = c.Values<double>("logits");
                var g = new double[x.Length];
                var losses = new double[rows];
                double loss = CrossEntropy.Forward<double>(x, targets, classes, g, reduction, losses, c.Values<double>("weight"), -100, smoothing, zLoss: zLoss, softCap: softCap);
                Check(c, reduction, loss, losses, g, relative, absolute, what);
                loss = CrossEntropy.Forward<double>(x, longTargets, classes, g, reduction, losses, c.Values<double>("weight"), -100, smoothing, zLoss: zLoss, softCap: softCap);
                Check(c, reduction, loss, losses, g, relative, absolute, what + " long");
            }
            else
            {
                var g = new float[c.GetProperty("logits").GetArrayLength()];
                var losses = new float[rows];
                float[] w = c.Floats("weight");
                float loss = !Is16Bit(c)
                    ? CrossEntropy.Forward<float>(c.Floats("logits"), targets, classes, g, reduction, losses, w, -100, (float)smoothing, zLoss: zLoss, softCap: softCap)
                    : c.Text("storage") == "float16"
                    ? CrossEntropy.Forward([.. Bits(c).Select(BitConverter.UInt16BitsToHalf)], longTargets, classes, g, reduction, losses, w, -100, smoothing, zLoss: zLoss, softCap: softCap)
                    : CrossEntropy.Forward([.. Bits(c).Select(BFloat16.FromBits)], longTargets, classes, g, reduction, losses, w, -100, smoothing, zLoss: zLoss, softCap: softCap);
                Check(c, reduction, loss, losses, g, relative, absolute, what);
            }
        }
    }

    private static void Check<T>(JsonElement c, Reduction reduction, T loss, T[] losses, T[] gradient, double relative, double absolute, string what)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (reduction == Reduction.None)
        {
            Approx.Equal<T>(c.Values<T>("lossNone"), losses, relative, absolute, what + " losses");
        }
        else
        {
            Approx.Equal(c.Scalar("loss" + reduction), double.CreateTruncating(loss), relative, absolute, what + " loss");
        }
        Approx.Equal<T>(c.Values<T>("grad" + reduction), gradient, relative * 10, absolute, what + " gradient");
    }

    private static ushort[] Bits(JsonElement c) => [.. c.GetProperty("bits").EnumerateArray().Select(e => (ushort)e.GetInt32())];

    private static void CheckCrossEntropy<T, TIn>(JsonElement c, int[] cuts, Reduction reduction, TIn[] x)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
    {
        int classes = c.Int("classCount"), rows = c.Int("rows");
        long[] targets = [.. c.GetProperty("targets").EnumerateArray().Select(e => e.GetInt64())];
        T[] weight = c.Values<T>("weight");
        double smoothing = c.Scalar("labelSmoothing"), zLoss = c.Scalar("zLoss"), softCap = c.Scalar("softCap");
        var combined = new VocabularyPartial[rows];
        var partial = new VocabularyPartial[rows];
        var gradient = new T[x.Length];
        var losses = new T[rows];
        for (int s = 0; s + 1 < cuts.Length; s++)
        {
            Forward(x.AsSpan(cuts[s]), targets, classes, cuts[s], cuts[s + 1] - cuts[s], partial, weight, softCap);
            CrossEntropySlices.Combine(partial, combined);
        }
        T loss = CrossEntropySlices.Loss<T>(combined, classes, reduction, losses, smoothing, zLoss);
        for (int s = 0; s + 1 < cuts.Length; s++)
        {
            Backward(x.AsSpan(cuts[s]), combined, classes, cuts[s], cuts[s + 1] - cuts[s], gradient.AsSpan(cuts[s]), reduction, weight, smoothing, zLoss, softCap);
        }
        var (relative, absolute) = Tolerance(c);
        string what = $"{c.Text("name")} {reduction} slices={cuts.Length - 1}";
        if (reduction == Reduction.None)
        {
            Approx.Equal<T>(c.Values<T>("lossNone"), losses, relative, absolute, what + " losses");
        }
        else
        {
            Approx.Equal(c.Scalar("loss" + reduction), double.CreateTruncating(loss), relative, absolute, what + " loss");
        }
        Approx.Equal<T>(c.Values<T>("grad" + reduction), gradient, relative * 10, absolute, what + " gradient");
    }

    private static void Forward<T, TIn>(ReadOnlySpan<TIn> x, long[] targets, int classes, int offset, int width, Span<VocabularyPartial> partials, T[] weight, double softCap)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
    {
        if (typeof(TIn) == typeof(Half))
        {
            CrossEntropySlices.Forward(MemoryMarshal.Cast<TIn, Half>(x), targets, partials, classes, offset, width, classes, MemoryMarshal.Cast<T, float>(weight), softCap: softCap);
        }
        else if (typeof(TIn) == typeof(BFloat16))
        {
            CrossEntropySlices.Forward(MemoryMarshal.Cast<TIn, BFloat16>(x), targets, partials, classes, offset, width, classes, MemoryMarshal.Cast<T, float>(weight), softCap: softCap);
        }
        else
        {
            CrossEntropySlices.Forward<T>(MemoryMarshal.Cast<TIn, T>(x), targets, partials, classes, offset, width, classes, weight, softCap: softCap);
        }
    }

    private static void Backward<T, TIn>(ReadOnlySpan<TIn> x, ReadOnlySpan<VocabularyPartial> partials, int classes, int offset, int width, Span<T> gradient,
        Reduction reduction, T[] weight, double smoothing, double zLoss, double softCap)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TIn : unmanaged
    {
        if (typeof(TIn) == typeof(Half))
        {
            CrossEntropySlices.Backward(MemoryMarshal.Cast<TIn, Half>(x), partials, MemoryMarshal.Cast<T, float>(gradient), classes, offset, width, classes, reduction,
                MemoryMarshal.Cast<T, float>(weight), smoothing, zLoss, softCap);
        }
        else if (typeof(TIn) == typeof(BFloat16))
        {
            CrossEntropySlices.Backward(MemoryMarshal.Cast<TIn, BFloat16>(x), partials, MemoryMarshal.Cast<T, float>(gradient), classes, offset, width, classes, reduction,
                MemoryMarshal.Cast<T, float>(weight), smoothing, zLoss, softCap);
        }
        else
        {
            CrossEntropySlices.Backward<T>(MemoryMarshal.Cast<TIn, T>(x), partials, gradient, classes, offset, width, classes, reduction, weight, smoothing, zLoss, softCap);
        }
    }

    [Theory]
    [MemberData(nameof(TokenCases))]
    public void Token_log_probabilities_match_pytorch(string name)
    {
        var c = Reference.Case(File, name);
        if (c.Text("dtype") == "float64" && !Is16Bit(c))
        {
            CheckToken<double>(c, c.Values<double>("logits"));
        }
        else if (!Is16Bit(c))
        {
            CheckToken<float>(c, c.Values<float>("logits"));
        }
        else
        {
            CheckToken16(c);
        }
    }

    private static void CheckToken<T>(JsonElement c, T[] x)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = c.Int("classCount"), rows = c.Int("rows");
        int[] targets = [.. c.GetProperty("targets").EnumerateArray().Select(e => e.GetInt32())];
        double softCap = c.Scalar("softCap");
        var (relative, absolute) = Tolerance(c);
        string name = c.Text("name");

        var logProbabilities = new T[rows];
        var entropy = new T[rows];
        TokenLogProbabilities.Forward<T>(x, targets, logProbabilities, classes, entropy, softCap: softCap);
        Approx.Equal<T>(c.Values<T>("logProbabilities"), logProbabilities, relative, absolute, name + " log-probabilities");
        Approx.Equal<T>(c.Values<T>("entropy"), entropy, relative, absolute, name + " entropy");
        var gradient = new T[x.Length];
        TokenLogProbabilities.Backward<T>(x, targets, c.Values<T>("alpha"), c.Values<T>("beta"), gradient, classes, softCap: softCap);
        Approx.Equal<T>(c.Values<T>("gradient"), gradient, relative * 10, absolute, name + " gradient");

        // The same through two slices and the partials.
        int half = classes / 2;
        var left = new VocabularyPartial[rows];
        var right = new VocabularyPartial[rows];
        CrossEntropySlices.Forward<T>(x, targets, left, classes, 0, half, stride: classes, softCap: softCap);
        CrossEntropySlices.Forward<T>(x.AsSpan(half), targets, right, classes, half, classes - half, stride: classes, softCap: softCap);
        CrossEntropySlices.Combine(left, right);
        TokenLogProbabilities.FromPartials<T>(right, logProbabilities, classes, entropy);
        Approx.Equal<T>(c.Values<T>("logProbabilities"), logProbabilities, relative, absolute, name + " sliced log-probabilities");
        Approx.Equal<T>(c.Values<T>("entropy"), entropy, relative, absolute, name + " sliced entropy");
        Array.Clear(gradient);
        TokenLogProbabilities.BackwardSlice<T>(x, right, c.Values<T>("alpha"), c.Values<T>("beta"), gradient, classes, 0, half, classes, softCap);
        TokenLogProbabilities.BackwardSlice<T>(x.AsSpan(half), right, c.Values<T>("alpha"), c.Values<T>("beta"), gradient.AsSpan(half), classes, half, classes - half, classes, softCap);
        Approx.Equal<T>(c.Values<T>("gradient"), gradient, relative * 10, absolute, name + " sliced gradient");
    }

    private static void CheckToken16(JsonElement c)
    {
        int classes = c.Int("classCount"), rows = c.Int("rows");
        long[] targets = [.. c.GetProperty("targets").EnumerateArray().Select(e => e.GetInt64())];
        double softCap = c.Scalar("softCap");
        var (relative, absolute) = Tolerance(c);
        string name = c.Text("name");
        ushort[] bits = Bits(c);
        var logProbabilities = new float[rows];
        var entropy = new float[rows];
        var gradient = new float[bits.Length];
        float[] alpha = c.Floats("alpha"), beta = c.Floats("beta");
        if (c.Text("storage") == "float16")
        {
            Half[] x = [.. bits.Select(BitConverter.UInt16BitsToHalf)];
            TokenLogProbabilities.Forward(x, targets, logProbabilities, classes, entropy, softCap: softCap);
            TokenLogProbabilities.Backward(x, targets, alpha, beta, gradient, classes, softCap: softCap);
            var halfGradient = new Half[x.Length];
            TokenLogProbabilities.Backward(x, targets, alpha, beta, halfGradient, classes, softCap: softCap);
            for (int i = 0; i < x.Length; i++)
            {
                // Written as Half: the float gradient rounded to nearest even.
                Assert.Equal((Half)gradient[i], halfGradient[i]);
            }
        }
        else
        {
            BFloat16[] x = [.. bits.Select(BFloat16.FromBits)];
            TokenLogProbabilities.Forward(x, targets, logProbabilities, classes, entropy, softCap: softCap);
            TokenLogProbabilities.Backward(x, targets, alpha, beta, gradient, classes, softCap: softCap);
        }
        Approx.Equal<float>(c.Floats("logProbabilities"), logProbabilities, relative, absolute, name + " log-probabilities");
        Approx.Equal<float>(c.Floats("entropy"), entropy, relative, absolute, name + " entropy");
        Approx.Equal<float>(c.Floats("gradient"), gradient, relative * 10, absolute, name + " gradient");
    }
}
