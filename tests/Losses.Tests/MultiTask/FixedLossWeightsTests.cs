namespace Losses.Tests;

public class FixedLossWeightsTests
{
    [Fact]
    public void TotalIsTheWeightedSum()
    {
        var balancer = new FixedLossWeights<double>([1.0, 0.5]);
        Span<double> w = stackalloc double[2];
        Assert.Equal(4.0, balancer.Combine([2.0, 4.0], w));
        Assert.Equal([1.0, 0.5], w.ToArray());
        Assert.Equal(2, balancer.TaskCount);
        Assert.Equal(-1.0, balancer.Combine([-3.0, 4.0], w)); // negative losses are allowed here
    }

    [Fact]
    public void WeightsMayAliasLosses()
    {
        var balancer = new FixedLossWeights<float>([2f, 3f]);
        float[] buffer = [1f, 10f];
        Assert.Equal(32f, balancer.Combine(buffer, buffer));
        Assert.Equal([2f, 3f], buffer);
    }

    [Fact]
    public void BadInputIsRejectedWithTheIndex()
    {
        Assert.Throws<ArgumentException>("weights", () => new FixedLossWeights<double>([]));
        var e = Assert.Throws<ArgumentOutOfRangeException>("weights", () => new FixedLossWeights<double>([1.0, -1.0]));
        Assert.Contains("weights[1]", e.Message, StringComparison.Ordinal);
        var balancer = new FixedLossWeights<double>([1.0, 1.0]);
        double[] w = new double[2];
        Assert.Throws<ArgumentException>("losses", () => balancer.Combine([1.0], w));
        Assert.Throws<ArgumentException>("weights", () => balancer.Combine([1.0, 1.0], w.AsSpan(0, 1)));
        e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1.0, double.NaN], w));
        Assert.Contains("losses[1]", e.Message, StringComparison.Ordinal);
        Assert.Equal([0.0, 0.0], w);
    }

    [Fact]
    public void CombineAllocatesNothing()
    {
        var balancer = new FixedLossWeights<float>([1f, 2f, 3f]);
        float[] losses = [1f, 2f, 3f], weights = new float[3];
        Assert.Equal(0, Allocations.Of(() => balancer.Combine(losses, weights)));
    }
}
