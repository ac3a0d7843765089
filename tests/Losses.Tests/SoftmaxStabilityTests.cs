
namespace Losses.Tests;

/// <summary>Softmax, LogSoftmax and LogSumExp against PyTorch 1.13 reference numbers (Reference/softmax_reference.py).</summary>
/// <summary>The softmax family at extreme inputs: overflow, masked rows, ±∞ and NaN (see also RowStabilityTests).</summary>
public class SoftmaxStabilityTests
{
    [Fact]
    public void Stays_finite_where_TensorPrimitives_SoftMax_returns_NaN()
    {
        var y = new float[2];
        Softmax.Forward<float>([89f, 0f], y);
        Assert.Equal(1f, y[0]);
        Softmax.Forward<float>([1000f, 1000f], y);
        Assert.Equal([0.5f, 0.5f], y);
        Softmax.Forward<float>([-110f, -120f], y);
        Assert.Equal(1f / (1f + MathF.Exp(-10f)), y[0], 6);
        var yd = new double[2];
        Softmax.Forward<double>([710.0, 0.0], yd);
        Assert.Equal(1.0, yd[0]);
    }

    [Fact]
    public void Float_extremes_where_x_minus_max_overflows()
    {
        var y = new float[4];
        LogSoftmax.Forward<float>([3e38f, -3e38f, 0f, 1f], y);
        Assert.Equal([0f, float.NegativeInfinity, -3e38f, -3e38f], y);
        Softmax.Forward<float>([3e38f, -3e38f, 0f, 1f], y);
        Assert.Equal([1f, 0f, 0f, 0f], y);
        Assert.Equal(3e38f, LogSumExp.Forward<float>([3e38f, -3e38f, 0f, 1f]));
        Assert.Equal(float.MaxValue, LogSumExp.Forward<float>([float.MaxValue, float.MinValue]));
    }

    [Fact]
    public void Masked_rows_follow_pytorch()
    {
        float ninf = float.NegativeInfinity;
        var y = new float[4];
        Softmax.Forward<float>([ninf, 0f, ninf, 0f], y);
        Assert.Equal([0f, 0.5f, 0f, 0.5f], y);
        Softmax.Forward<float>([ninf, ninf, ninf, ninf], y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        LogSoftmax.Forward<float>([ninf, ninf, ninf, ninf], y);
        Assert.All(y, v => Assert.True(float.IsNaN(v)));
        Assert.Equal(ninf, LogSumExp.Forward<float>([ninf, ninf, ninf, ninf]));
        Assert.Equal(ninf, LogSumExp.Forward<float>([]));
        Assert.Equal(ninf, SoftmaxNormalizer.Of<float>([ninf, ninf]).Max);
    }

    [Fact]
    public void Infinity_and_NaN_follow_pytorch()
    {
        var y = new double[3];
        Softmax.Forward<double>([double.PositiveInfinity, 0, 1], y);
        Assert.All(y, v => Assert.True(double.IsNaN(v)));
        Assert.Equal(double.PositiveInfinity, LogSumExp.Forward<double>([double.PositiveInfinity, 0, 1]));
        Assert.True(double.IsNaN(LogSumExp.Forward<double>([double.PositiveInfinity, double.NaN, 1])));
        Assert.True(double.IsNaN(LogSumExp.Forward<double>([0, double.NaN, 1])));
        Softmax.Forward<double>([0, double.NaN, 1], y);
        Assert.All(y, v => Assert.True(double.IsNaN(v)));
    }
}
