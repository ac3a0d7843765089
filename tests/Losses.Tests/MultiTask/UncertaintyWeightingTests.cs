namespace Losses.Tests;

public class UncertaintyWeightingTests
{
    [Fact]
    public void AtZeroLogVarianceTheTotalIsTheSum()
    {
        var balancer = new UncertaintyWeighting<double>(2, learningRate: 0);
        Span<double> w = stackalloc double[2], ds = stackalloc double[2];
        // total = Σ exp(−0)·L + 0; ∂/∂s = 1 − exp(−s)·L
        Assert.Equal(4.5, balancer.Combine([4.0, 0.5], w, ds));
        Assert.Equal([1.0, 1.0], w.ToArray());
        Assert.Equal([-3.0, 0.5], ds.ToArray());
        Assert.Equal([0.0, 0.0], balancer.LogVariances.ToArray()); // no built-in step
    }

    [Fact]
    public void RegressionTermIsHalved()
    {
        // task 0: ½·exp(−ln 2)·4 + ½·ln 2 = 1 + ln2/2, weight ¼, ∂ = ½·(1 − 2) = −½
        // task 1: exp(ln 2)·0.5 − ln 2 = 1 − ln 2, weight 2, ∂ = 1 − 1 = 0
        double ln2 = Math.Log(2);
        var balancer = new UncertaintyWeighting<double>([UncertaintyTerm.Regression, UncertaintyTerm.Default], [ln2, -ln2]);
        Assert.Equal(UncertaintyTerm.Regression, balancer.Term(0));
        Span<double> w = stackalloc double[2], ds = stackalloc double[2];
        Approx.Equal(2 - ln2 / 2, balancer.Combine([4.0, 0.5], w, ds), 1e-15);
        Approx.Equal<double>([0.25, 2.0], w, 1e-15);
        Approx.Equal<double>([-0.5, 0.0], ds, 1e-15, 1e-15);
        balancer.LogVariances[0] = 7;
        balancer.Reset();
        Assert.Equal([ln2, -ln2], balancer.LogVariances.ToArray());
    }

    [Fact]
    public void BuiltInStepIsPlainGradientDescent()
    {
        var balancer = new UncertaintyWeighting<float>(2, 0.1f);
        float[] w = new float[2];
        Assert.Equal(4.5f, balancer.Combine([4f, 0.5f], w)); // the total at s before the step
        Approx.Equal<float>([0.3f, -0.05f], balancer.LogVariances, 1e-6); // s − 0.1·[−3, 0.5]
        balancer.Reset();
        Assert.Equal([0f, 0f], balancer.LogVariances.ToArray());
    }

    [Fact]
    public void FloatAgreesWithDouble()
    {
        var f = new UncertaintyWeighting<float>([UncertaintyTerm.Default, UncertaintyTerm.Regression, UncertaintyTerm.Default], [0.3f, -2f, 5f], learningRate: 0);
        var d = new UncertaintyWeighting<double>([UncertaintyTerm.Default, UncertaintyTerm.Regression, UncertaintyTerm.Default], [0.3f, -2f, 5f], learningRate: 0);
        float[] wf = new float[3], gf = new float[3];
        double[] wd = new double[3], gd = new double[3];
        Approx.Equal(d.Combine([1e-4, 1e4, 0.25f], wd, gd), f.Combine([1e-4f, 1e4f, 0.25f], wf, gf), 1e-6);
        Approx.Equal<double>(wd, Array.ConvertAll(wf, x => (double)x), 1e-6);
        Approx.Equal<double>(gd, Array.ConvertAll(gf, x => (double)x), 1e-6, 1e-6);
    }

    [Fact]
    public void BadInputIsRejectedAndNothingUpdated()
    {
        Assert.Throws<ArgumentOutOfRangeException>("taskCount", () => new UncertaintyWeighting<double>(0));
        Assert.Throws<ArgumentOutOfRangeException>("learningRate", () => new UncertaintyWeighting<double>(2, -0.1));
        Assert.Throws<ArgumentOutOfRangeException>("terms", () => new UncertaintyWeighting<double>([(UncertaintyTerm)5]));
        Assert.Throws<ArgumentException>("initialLogVariances", () => new UncertaintyWeighting<double>([UncertaintyTerm.Default], [1.0, 2.0]));
        Assert.Throws<ArgumentOutOfRangeException>("initialLogVariances", () => new UncertaintyWeighting<double>([UncertaintyTerm.Default], [double.NaN]));
        var balancer = new UncertaintyWeighting<double>(3, 0.5);
        double[] w = new double[3], ds = new double[3];
        var e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1.0, 1.0, -2.0], w));
        Assert.Contains("losses[2]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([double.PositiveInfinity, 1.0, 1.0], w));
        Assert.Throws<ArgumentException>("losses", () => balancer.Combine([1.0, 1.0], w));
        Assert.Throws<ArgumentException>("logVarianceGradient", () => balancer.Combine([1.0, 1.0, 1.0], w, ds.AsSpan(0, 2)));
        Assert.Throws<ArgumentOutOfRangeException>("state.LogVariances", () => balancer.Restore(new([0.0, double.NaN, 0.0])));
        Assert.Throws<ArgumentException>("state.LogVariances", () => balancer.Restore(new([0.0])));
        Assert.Equal([0.0, 0.0, 0.0], balancer.LogVariances.ToArray());
        Assert.Equal([0.0, 0.0, 0.0], w);
        balancer.LogVariances[1] = double.NaN;
        var e2 = Assert.Throws<InvalidOperationException>(() => balancer.Combine([1.0, 1.0, 1.0], w));
        Assert.Contains("LogVariances[1]", e2.Message, StringComparison.Ordinal);
        Assert.Equal(0.0, balancer.LogVariances[0]);
    }

    [Fact]
    public void CombineAllocatesNothing()
    {
        var balancer = new UncertaintyWeighting<float>(2, 0.01f);
        float[] losses = [1f, 2f], weights = new float[2], gradient = new float[2];
        Assert.Equal(0, Allocations.Of(() => balancer.Combine(losses, weights)));
        Assert.Equal(0, Allocations.Of(() => balancer.Combine(losses, weights, gradient)));
    }
}
