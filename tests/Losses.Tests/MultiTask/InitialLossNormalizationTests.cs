namespace Losses.Tests;

public class InitialLossNormalizationTests
{
    [Fact]
    public void DividesByTheFirstLosses()
    {
        var balancer = new InitialLossNormalization<double>(2);
        Span<double> w = stackalloc double[2];
        Assert.True(balancer.InitialLosses.IsEmpty);
        Assert.Equal(2.0, balancer.Combine([1000.0, 2.0], w));
        Assert.Equal([0.001, 0.5], w.ToArray());
        Assert.Equal(1.0, balancer.Combine([500.0, 1.0], w));
        Assert.Equal(0.5, balancer.Combine([0.0, 1.0], w)); // zero is fine after the first step
        balancer.Reset();
        Assert.Equal(2.0, balancer.Combine([10.0, 10.0], w));
        Assert.Equal([0.1, 0.1], w.ToArray());
    }

    [Fact]
    public void SaveAndRestoreReproduceTheNextStep()
    {
        var a = new InitialLossNormalization<float>(3);
        float[] w = new float[3], w2 = new float[3];
        a.Combine([3f, 0.7f, 12f], w);
        var state = a.Save();
        var b = new InitialLossNormalization<float>(3);
        b.Restore(state);
        Assert.Equal(a.Combine([1f, 2f, 3f], w), b.Combine([1f, 2f, 3f], w2));
        Assert.Equal(w, w2);
        b.Restore(new InitialLossNormalizationState<float>([]));
        Assert.True(b.InitialLosses.IsEmpty);
    }

    [Fact]
    public void BadInputIsRejectedAndNothingRecorded()
    {
        Assert.Throws<ArgumentOutOfRangeException>("taskCount", () => new InitialLossNormalization<double>(0));
        var balancer = new InitialLossNormalization<double>(2);
        double[] w = new double[2];
        var e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1.0, 0.0], w));
        Assert.Contains("losses[1]", e.Message, StringComparison.Ordinal);
        Assert.True(balancer.InitialLosses.IsEmpty);
        balancer.Combine([1.0, 2.0], w);
        Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([-1.0, 2.0], w));
        Assert.Throws<ArgumentException>("losses", () => balancer.Combine([1.0, 2.0, 3.0], w));
        Assert.Throws<ArgumentOutOfRangeException>("state.InitialLosses", () => balancer.Restore(new([1.0, double.PositiveInfinity])));
        Assert.Equal([1.0, 2.0], balancer.InitialLosses.ToArray());
    }

    [Fact]
    public void CombineAllocatesNothing()
    {
        var balancer = new InitialLossNormalization<double>(2);
        double[] losses = [1.0, 2.0], weights = new double[2];
        Assert.Equal(0, Allocations.Of(() => balancer.Combine(losses, weights)));
    }
}
