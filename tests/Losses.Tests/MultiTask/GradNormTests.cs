namespace Losses.Tests;

public class GradNormTests
{
    [Fact]
    public void StepFollowsThePaperFormula()
    {
        var balancer = new GradNorm<double>(2, alpha: 1.0, learningRate: 0.1);
        Span<double> w = stackalloc double[2], dw = stackalloc double[2];
        Assert.Equal(2.0, balancer.Combine([1.0, 1.0], w)); // records L(0) = [1, 1]
        Assert.Equal([1.0, 1.0], w.ToArray());
        // L = [0.5, 1]: L̃ = [0.5, 1], r = L̃/0.75 = [2/3, 4/3]; G = [2, 1]: Ḡ = 1.5, targets Ḡ·r = [1, 2]
        // L_grad = |2 − 1| + |1 − 2| = 2; ∂/∂w = sign(G − target)·G/w = [2, −1]
        // w = [1 − 0.2, 1 + 0.1] = [0.8, 1.1] → renormalised ×2/1.9
        Approx.Equal(2.0, balancer.Update([2.0, 1.0], [0.5, 1.0], dw), 1e-15);
        Assert.Equal([2.0, -1.0], dw.ToArray());
        Approx.Equal<double>([0.8 * 2 / 1.9, 1.1 * 2 / 1.9], balancer.Weights, 1e-15);
        // the next total uses the new weights
        Approx.Equal(0.8 * 2 / 1.9 * 0.5 + 1.1 * 2 / 1.9, balancer.Combine([0.5, 1.0], w), 1e-15);
    }

    [Fact]
    public void AlphaShapesTheTarget()
    {
        // α = 2, three tasks, w = 1, L(0) = [1, 2, 4], L = [0.5, 2, 2]: L̃ = [0.5, 1, 0.5], mean 2/3, r = [0.75, 1.5, 0.75]
        // G = [1, 1, 1]: Ḡ = 1, targets r² = [0.5625, 2.25, 0.5625]
        var balancer = new GradNorm<double>(3, alpha: 2.0, learningRate: 0.01);
        double[] dw = new double[3];
        balancer.Combine([1.0, 2.0, 4.0], new double[3]);
        Approx.Equal(0.4375 + 1.25 + 0.4375, balancer.Update([1.0, 1.0, 1.0], [0.5, 2.0, 2.0], dw), 1e-15);
        Assert.Equal([1.0, -1.0, 1.0], dw);
        Approx.Equal<double>([0.99 * 3 / 2.99, 1.01 * 3 / 2.99, 0.99 * 3 / 2.99], balancer.Weights, 1e-15);
    }

    [Fact]
    public void UpdateRecordsInitialLossesWhenCalledFirst()
    {
        var balancer = new GradNorm<float>(2, 1.5f, 0.5f);
        float[] dw = new float[2];
        // ratios are all 1, so targets are Ḡ = 2: G = [3, 1] → ∂ = [+3, −1]
        balancer.Update([3f, 1f], [7f, 0.1f], dw);
        Assert.Equal([7f, 0.1f], balancer.InitialLosses.ToArray());
        Assert.Equal([3f, -1f], dw);
        // w = [max(1 − 1.5, 1e-6), 1.5] → floor keeps the first weight positive
        Assert.True(balancer.Weights[0] > 0f);
        Approx.Equal(2.0, balancer.Weights[0] + balancer.Weights[1], 1e-6);
        balancer.Reset();
        Assert.Equal([1f, 1f], balancer.Weights.ToArray());
        Assert.True(balancer.InitialLosses.IsEmpty);
    }

    [Fact]
    public void BadInputIsRejectedAndNothingUpdated()
    {
        Assert.Throws<ArgumentOutOfRangeException>("alpha", () => new GradNorm<double>(2, -1.0, 0.1));
        Assert.Throws<ArgumentOutOfRangeException>("learningRate", () => new GradNorm<double>(2, 1.0, 0.0));
        var balancer = new GradNorm<double>(2, 1.0, 0.1);
        balancer.Combine([1.0, 1.0], new double[2]);
        balancer.Update([1.0, 2.0], [0.5, 0.7]);
        var before = balancer.Save();
        var e = Assert.Throws<ArgumentOutOfRangeException>("weightedGradientNorms", () => balancer.Update([1.0, double.NaN], [1.0, 1.0]));
        Assert.Contains("weightedGradientNorms[1]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("weightedGradientNorms", () => balancer.Update([-1.0, 1.0], [1.0, 1.0]));
        e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Update([1.0, 1.0], [0.0, 1.0]));
        Assert.Contains("losses[0]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>("losses", () => balancer.Update([1.0, 1.0], [1.0]));
        Assert.Throws<ArgumentException>("weightGradient", () => balancer.Update([1.0, 1.0], [1.0, 1.0], new double[1]));
        Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1.0, -1.0], new double[2]));
        Assert.Throws<ArgumentOutOfRangeException>("state.Weights", () => balancer.Restore(new([1.0, 0.0], [1.0, 1.0])));
        var after = balancer.Save();
        Assert.Equal(before.Weights, after.Weights);
        Assert.Equal(before.InitialLosses, after.InitialLosses);
    }

    [Fact]
    public void StepsAllocateNothing()
    {
        var balancer = new GradNorm<float>(3, 1.5f, 0.01f);
        float[] losses = [1f, 2f, 3f], norms = [0.5f, 1f, 2f], weights = new float[3], gradient = new float[3];
        Assert.Equal(0, Allocations.Of(() => balancer.Combine(losses, weights)));
        Assert.Equal(0, Allocations.Of(() => balancer.Update(norms, losses)));
        Assert.Equal(0, Allocations.Of(() => balancer.Update(norms, losses, gradient)));
    }
}
