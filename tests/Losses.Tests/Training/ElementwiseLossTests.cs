using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>BinaryCrossEntropy against PyTorch 1.13.</summary>
public class BinaryCrossEntropyTests
{
    public static TheoryData<string> ProbabilityCases => TrainingReference.Names("bce");

    public static TheoryData<string> LogitCases => TrainingReference.Names("bce-logits");

    [Theory]
    [MemberData(nameof(ProbabilityCases))]
    public void Probabilities_match_pytorch(string name) => TrainingReference.Check(name, Probabilities<float>, Probabilities<double>);

    [Theory]
    [MemberData(nameof(LogitCases))]
    public void Logits_match_pytorch(string name) => TrainingReference.Check(name, Logits<float>, Logits<double>);

    private static T Probabilities<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BinaryCrossEntropy.Forward<T>(x, c.Values<T>("targets"), gradient, reduction, losses, c.Optional<T>("weight"));

    private static T Logits<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        BinaryCrossEntropy.ForwardWithLogits<T>(x, c.Values<T>("targets"), gradient, reduction, losses, c.Optional<T>("weight"), c.Optional<T>("posWeight"));

    [Fact]
    public void Tiny_losses_stay_accurate_in_float()
    {
        // PyTorch 1.13 returns 0 here; the true loss is log1p(e^-17) = 4.139937718785167e-8.
        float loss = BinaryCrossEntropy.ForwardWithLogits<float>([17f], [1f]);
        Assert.Equal(4.139937718785167e-8, loss, 1e-14);
    }

    [Fact]
    public void Probabilities_outside_zero_one_are_rejected()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropy.Forward<float>([0.5f, 1.5f], [1f, 0f]));
        Assert.Equal("probabilities", e.ParamName);
        Assert.Contains("probabilities[1] is 1.5", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => BinaryCrossEntropy.Forward<double>([0.5, 0.25, double.NaN], [1.0, 0.0, 1.0]));
        Assert.Contains("probabilities[2] is NaN", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("posWeight", () => BinaryCrossEntropy.ForwardWithLogits<float>([1f, 2f, 3f], [1f, 0f, 1f], posWeight: [1f, 2f]));
        Assert.Throws<ArgumentException>("weight", () => BinaryCrossEntropy.ForwardWithLogits<float>([1f, 2f], [1f, 0f], weight: [1f]));
    }

    [Fact]
    public void Does_not_allocate()
    {
        float[] x = [.. Enumerable.Range(0, 999).Select(i => (float)Math.Sin(i))];
        float[] y = [.. Enumerable.Range(0, 999).Select(i => (float)(i % 2))];
        float[] pw = [1f, 2f, 3f];
        var g = new float[x.Length];
        Assert.Equal(0, Allocations.Of(() => BinaryCrossEntropy.ForwardWithLogits<float>(x, y, g, posWeight: pw)));
        Assert.Equal(0, Allocations.Of(() => MeanSquaredError.Forward<float>(x, y, g)));
        Assert.Equal(0, Allocations.Of(() => FocalLoss.Forward<float>(x, y, g)));
        Assert.Equal(0, Allocations.Of(() => KLDivLoss.Forward<float>(x, y, 9, g)));
        Assert.Equal(0, Allocations.Of(() => HuberLoss.Forward<float>(x, y, g)));
    }
}

/// <summary>KLDivLoss against PyTorch 1.13.</summary>
public class KLDivLossTests
{
    public static TheoryData<string> Cases => TrainingReference.Names("kl");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string name) => TrainingReference.Check(name, Call<float>, Call<double>);

    private static T Call<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        KLDivLoss.Forward<T>(x, c.Values<T>("targets"), c.Int("classCount"), gradient, reduction, losses, c.GetProperty("logTarget").GetBoolean());
}

/// <summary>MeanSquaredError, HuberLoss and SmoothL1Loss against PyTorch 1.13.</summary>
public class MeanSquaredErrorTests
{
    public static TheoryData<string> Squared => TrainingReference.Names("mse");

    public static TheoryData<string> Huber => TrainingReference.Names("huber");

    public static TheoryData<string> SmoothL1 => TrainingReference.Names("smoothl1");

    [Theory]
    [MemberData(nameof(Squared))]
    public void Mse_matches_pytorch(string name) => TrainingReference.Check(name,
        (c, x, g, r, l) => MeanSquaredError.Forward<float>(x, c.Values<float>("targets"), g, r, l),
        (c, x, g, r, l) => MeanSquaredError.Forward<double>(x, c.Values<double>("targets"), g, r, l));

    [Theory]
    [MemberData(nameof(Huber))]
    public void Huber_matches_pytorch(string name) => TrainingReference.Check(name,
        (c, x, g, r, l) => HuberLoss.Forward<float>(x, c.Values<float>("targets"), g, r, l, c.Scalar("delta")),
        (c, x, g, r, l) => HuberLoss.Forward<double>(x, c.Values<double>("targets"), g, r, l, c.Scalar("delta")));

    [Theory]
    [MemberData(nameof(SmoothL1))]
    public void Smooth_l1_matches_pytorch(string name) => TrainingReference.Check(name,
        (c, x, g, r, l) => SmoothL1Loss.Forward<float>(x, c.Values<float>("targets"), g, r, l, c.Scalar("beta")),
        (c, x, g, r, l) => SmoothL1Loss.Forward<double>(x, c.Values<double>("targets"), g, r, l, c.Scalar("beta")));
}

/// <summary>FocalLoss against torchvision.ops.sigmoid_focal_loss.</summary>
public class FocalLossTests
{
    public static TheoryData<string> Cases => TrainingReference.Names("focal");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_torchvision(string name) => TrainingReference.Check(name,
        (c, x, g, r, l) => FocalLoss.Forward<float>(x, c.Values<float>("targets"), g, r, l, c.Scalar("alpha"), c.Scalar("gamma")),
        (c, x, g, r, l) => FocalLoss.Forward<double>(x, c.Values<double>("targets"), g, r, l, c.Scalar("alpha"), c.Scalar("gamma")));
}
