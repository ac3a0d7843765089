namespace Losses.Tests;

public class DynamicWeightAverageTests
{
    [Fact]
    public void WeightsFollowThePaperFormula()
    {
        var balancer = new DynamicWeightAverage<double>(2, 2.0);
        Span<double> w = stackalloc double[2];
        Assert.Equal(2.0, balancer.Combine([1.0, 1.0], w)); // t = 1: equal weights
        Assert.Equal([1.0, 1.0], w.ToArray());
        Assert.Equal(1.4, balancer.Combine([0.5, 0.9], w), 15); // t = 2: equal weights
        Assert.Equal([1.0, 1.0], w.ToArray());
        // t = 3: r = [0.5/1, 0.9/1], w = 2·softmax(r/2) = 2·[e^0.25, e^0.45]/(e^0.25 + e^0.45)
        Approx.Equal(1.2398671978499824, balancer.Combine([0.4, 0.8], w), 1e-15);
        Approx.Equal<double>([0.900332005375044, 1.099667994624956], w, 1e-15);
        Assert.Equal(3, balancer.StepCount);
        // t = 4: r = [0.4/0.5, 0.8/0.9]
        balancer.GetWeights(w);
        double a = Math.Exp(0.8 / 2), b = Math.Exp(0.8 / 0.9 / 2);
        Approx.Equal<double>([2 * a / (a + b), 2 * b / (a + b)], w, 1e-15);
        balancer.Reset();
        Assert.Equal(0, balancer.StepCount);
        balancer.GetWeights(w);
        Assert.Equal([1.0, 1.0], w.ToArray());
    }

    [Fact]
    public void EpochModeObservesWithoutWeighing()
    {
        var perEpoch = new DynamicWeightAverage<float>(3, 1f);
        var perStep = new DynamicWeightAverage<float>(3, 1f);
        float[] w1 = new float[3], w2 = new float[3];
        float[][] epochs = [[3f, 2f, 1f], [2f, 1.9f, 0.5f], [1f, 1.8f, 0.4f]];
        foreach (float[] losses in epochs)
        {
            perEpoch.Observe(losses);
            perStep.Combine(losses, w2);
        }
        perEpoch.GetWeights(w1);
        perStep.GetWeights(w2);
        Assert.Equal(w2, w1);
        Assert.True(w1[1] > w1[2] && w1[2] > w1[0]); // slowest-falling task (1) gets the most weight
    }

    [Fact]
    public void ExtremeRatiosStayFinite()
    {
        var balancer = new DynamicWeightAverage<double>(2, 1e-3);
        double[] w = new double[2];
        balancer.Observe([1e-300, 1.0]);
        balancer.Observe([1e300, 1.0]);
        balancer.GetWeights(w);
        Assert.Equal([2.0, 0.0], w);
    }

    [Fact]
    public void BadInputIsRejectedAndNothingRecorded()
    {
        Assert.Throws<ArgumentOutOfRangeException>("temperature", () => new DynamicWeightAverage<double>(2, 0.0));
        Assert.Throws<ArgumentOutOfRangeException>("temperature", () => new DynamicWeightAverage<double>(2, -1.0));
        Assert.Throws<ArgumentOutOfRangeException>("temperature", () => new DynamicWeightAverage<double>(2, double.NaN));
        Assert.Throws<ArgumentOutOfRangeException>("taskCount", () => new DynamicWeightAverage<double>(-1, 2.0));
        var balancer = new DynamicWeightAverage<double>(2, 2.0);
        double[] w = new double[2];
        balancer.Combine([1.0, 2.0], w);
        var before = balancer.Save();
        var e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1.0, 0.0], w));
        Assert.Contains("losses[1]", e.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Observe([double.NaN, 1.0]));
        Assert.Throws<ArgumentException>("losses", () => balancer.Combine([1.0, 2.0, 3.0], w));
        Assert.Throws<ArgumentException>("weights", () => balancer.Combine([1.0, 2.0], w.AsSpan(0, 1)));
        Assert.Throws<ArgumentOutOfRangeException>("state.LossesBeforePrevious", () => balancer.Restore(new(2, [1.0, 1.0], [1.0, -1.0])));
        var after = balancer.Save();
        Assert.Equal(before.StepCount, after.StepCount);
        Assert.Equal(before.PreviousLosses, after.PreviousLosses);
        Assert.Equal(before.LossesBeforePrevious, after.LossesBeforePrevious);
    }

    [Fact]
    public void CombineAllocatesNothing()
    {
        var balancer = new DynamicWeightAverage<float>(4, 2f);
        float[] losses = [1f, 2f, 3f, 4f], weights = new float[4];
        balancer.Combine(losses, weights);
        balancer.Combine(losses, weights);
        Assert.Equal(0, Allocations.Of(() => balancer.Combine(losses, weights)));
        Assert.Equal(0, Allocations.Of(() => balancer.GetWeights(weights)));
    }
}
