namespace Losses.Tests;

/// <summary>Faults the balancers must survive: rejected steps leave the state as it was, shared instances stay consistent.</summary>
public class BalancerFaultTests
{
    [Fact]
    public void GradNormRejectsAStepWithNonFiniteResultsAndKeepsItsState()
    {
        var balancer = new GradNorm<double>(2);
        double[] w = new double[2], dw = [7.0, 7.0];
        balancer.Combine([1.0, 1e-300], w);
        var before = balancer.Save();
        // Lᵢ / Lᵢ(0) = 1e300 / 1e-300 overflows: no finite target exists.
        Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Update([1.0, 1.0], [1.0, 1e300], dw));
        Assert.Equal(before, balancer.Save());
        Assert.Equal([7.0, 7.0], dw);
        // the balancer is still usable
        balancer.Update([1.0, 2.0], [0.5, 1e-300], dw);
        Approx.Equal(2.0, balancer.Weights[0] + balancer.Weights[1], 1e-15);
    }

    [Fact]
    public void GradNormTinyInitialLossInFloatGivesFiniteWeightsOrNothing()
    {
        // issue 10: Combine([1, 1e-30]) then Update threw from Sign(NaN) and left Σw ≠ K.
        var balancer = new GradNorm<float>(2, alpha: 1.5, learningRate: 0.5);
        balancer.Combine([1f, 1e-30f], new float[2]);
        var before = balancer.Save();
        foreach (float[] losses in new[] { new[] { 1f, 1f }, new[] { 1f, 1e-30f }, new[] { 1e-30f, 1e30f } })
        {
            try
            {
                balancer.Update([1f, 1e30f], losses);
                Assert.All(balancer.Weights.ToArray(), x => Assert.True(float.IsFinite(x) && x > 0));
                Approx.Equal(2.0, balancer.Weights[0] + balancer.Weights[1], 1e-6);
                before = balancer.Save();
            }
            catch (ArgumentOutOfRangeException)
            {
                Assert.Equal(before, balancer.Save());
            }
        }
    }

    [Fact]
    public void UncertaintyWeightingRejectsAnOverflowingStepAndStaysUsable()
    {
        // issue 10: s = −20, η = 0.5, L = 1e30 stored s = ∞ and every later call threw.
        var balancer = new UncertaintyWeighting<float>([UncertaintyTerm.Default], [-20f], learningRate: 0.5);
        float[] w = [3f];
        var e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1e30f], w));
        Assert.Contains("losses[0]", e.Message, StringComparison.Ordinal);
        Assert.Equal(-20f, balancer.LogVariances[0]);
        Assert.Equal(3f, w[0]);
        balancer.Combine([1f], w);
        Assert.True(float.IsFinite(balancer.LogVariances[0]));
    }

    [Fact]
    public void InitialLossNormalizationRejectsAFirstLossWhoseWeightOverflows()
    {
        var balancer = new InitialLossNormalization<float>(2);
        float[] w = [5f, 5f];
        var e = Assert.Throws<ArgumentOutOfRangeException>("losses", () => balancer.Combine([1f, float.Epsilon], w));
        Assert.Contains("losses[1]", e.Message, StringComparison.Ordinal);
        Assert.True(balancer.InitialLosses.IsEmpty);
        Assert.Equal([5f, 5f], w);
        Assert.Throws<ArgumentOutOfRangeException>("state.InitialLosses", () => balancer.Restore(new([1f, float.Epsilon])));
        Assert.Equal(2f, balancer.Combine([1f, 1e-30f], w));
        Assert.Equal(1e30f, w[1]);
    }

    [Fact]
    public void DefaultsAreTheUsualOnesAndUncertaintyWeightingLearns()
    {
        Assert.Equal(2.0, new DynamicWeightAverage<float>(2).Temperature);
        var gradNorm = new GradNorm<float>(2);
        Assert.Equal(1.5, gradNorm.Alpha);
        Assert.Equal(0.025, gradNorm.LearningRate);
        var uw = new UncertaintyWeighting<float>(2);
        Assert.Equal(0.01, uw.LearningRate);
        uw.Combine([4f, 0.5f], new float[2]);
        Assert.NotEqual(0f, uw.LogVariances[0]);
    }

    [Fact]
    public void StatesCompareByValueAndPrintTheirNumbers()
    {
        Assert.Equal(new GradNormState<float>([1f, 1f], [2f, 3f]), new GradNormState<float>([1f, 1f], [2f, 3f]));
        Assert.NotEqual(new GradNormState<float>([1f, 1f], [2f, 3f]), new GradNormState<float>([1f, 1f], [2f, 4f]));
        Assert.Equal(new GradNormState<float>([1f], []).GetHashCode(), new GradNormState<float>([1f], []).GetHashCode());
        Assert.Equal(new DynamicWeightAverageState<double>(2, [1.0], [2.0]), new DynamicWeightAverageState<double>(2, [1.0], [2.0]));
        Assert.NotEqual(new DynamicWeightAverageState<double>(1, [1.0], [2.0]), new DynamicWeightAverageState<double>(2, [1.0], [2.0]));
        Assert.Equal(new UncertaintyWeightingState<double>([double.NaN]), new UncertaintyWeightingState<double>([double.NaN]));
        Assert.Equal(new InitialLossNormalizationState<float>([0.5f]), new InitialLossNormalizationState<float>([0.5f]));

        Assert.Equal("GradNormState { Weights = [1, 1.5], InitialLosses = [] }", new GradNormState<float>([1f, 1.5f], []).ToString());
        Assert.Equal("DynamicWeightAverageState { StepCount = 2, PreviousLosses = [0.25], LossesBeforePrevious = [0.5] }",
            new DynamicWeightAverageState<double>(2, [0.25], [0.5]).ToString());
        Assert.Equal("UncertaintyWeightingState { LogVariances = [-0.5] }", new UncertaintyWeightingState<double>([-0.5]).ToString());
        Assert.Equal("InitialLossNormalizationState { InitialLosses = [3] }", new InitialLossNormalizationState<float>([3f]).ToString());
    }

    [Fact]
    public void ShiftedOverlapsAreRejectedNamingBothAndInPlaceIsTheOutOfPlaceResult()
    {
        double[] buffer = [1.0, 2.0, 3.0];
        var balancers = new ILossBalancer<double>[]
        {
            new FixedLossWeights<double>([1.0, 0.5]),
            new InitialLossNormalization<double>(2),
            new UncertaintyWeighting<double>(2),
            new DynamicWeightAverage<double>(2),
            new GradNorm<double>(2),
        };
        foreach (var balancer in balancers)
        {
            var e = Assert.Throws<ArgumentException>("weights", () => balancer.Combine(buffer.AsSpan(0, 2), buffer.AsSpan(1, 2)));
            Assert.Contains("losses", e.Message, StringComparison.Ordinal);
            Assert.Equal([1.0, 2.0, 3.0], buffer);
        }
        var gradNorm = new GradNorm<double>(2, alpha: 1, learningRate: 0.1);
        gradNorm.Combine([1.0, 1.0], new double[2]);
        Assert.Throws<ArgumentException>("weightGradient", () => gradNorm.Update(buffer.AsSpan(0, 2), [0.5, 1.0], buffer.AsSpan(1, 2)));
        var uw = new UncertaintyWeighting<double>(2);
        double[] both = new double[3];
        Assert.Throws<ArgumentException>("logVarianceGradient", () => uw.Combine([1.0, 2.0], both.AsSpan(0, 2), both.AsSpan(1, 2)));

        // in place: the same numbers as out of place
        foreach (var make in new Func<ILossBalancer<double>>[] { () => new UncertaintyWeighting<double>(2), () => new DynamicWeightAverage<double>(2), () => new InitialLossNormalization<double>(2) })
        {
            ILossBalancer<double> a = make(), b = make();
            double[] outOfPlace = new double[2];
            for (int step = 0; step < 4; step++)
            {
                double[] losses = [1.0 / (step + 1), 2.0 / (step + 2)];
                double[] inPlace = (double[])losses.Clone();
                Assert.Equal(a.Combine(losses, outOfPlace), b.Combine(inPlace, inPlace));
                Assert.Equal(outOfPlace, inPlace);
            }
        }
    }

    [Fact]
    public void SharedInstancesStayConsistentUnderConcurrentUse()
    {
        const int K = 3, Threads = 8, Steps = 2000;
        var balancers = new ILossBalancer<float>[]
        {
            new DynamicWeightAverage<float>(K),
            new GradNorm<float>(K),
            new UncertaintyWeighting<float>(K, learningRate: 0.001),
            new InitialLossNormalization<float>(K),
        };
        foreach (var balancer in balancers)
        {
            int bad = 0;
            var threads = new Thread[Threads];
            var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
            for (int t = 0; t < Threads; t++)
            {
                int seed = t;
                threads[t] = new Thread(() =>
                {
                    try
                    {
                        var random = new Random(seed);
                        float[] losses = new float[K], weights = new float[K], norms = new float[K];
                        for (int step = 0; step < Steps; step++)
                        {
                            for (int i = 0; i < K; i++)
                            {
                                losses[i] = 0.5f + (float)random.NextDouble();
                                norms[i] = (float)random.NextDouble();
                            }
                            balancer.Combine(losses, weights);
                            if (balancer is GradNorm<float> gradNorm)
                            {
                                try
                                {
                                    gradNorm.Update(norms, losses);
                                }
                                catch (ArgumentOutOfRangeException e) when (e.Message.Contains("nothing was updated", StringComparison.Ordinal))
                                {
                                    // A rejected step is part of the contract (all or nothing), not an inconsistency: with random
                                    // norms some interleavings of 16,000 steps drive a weight below GradNorm's floor after the
                                    // renormalisation, and a later step would not be finite (seen once in CI, 2026-12-03).
                                }
                                var state = gradNorm.Save();
                                if (Math.Abs(state.Weights.Sum() - K) > 1e-4)
                                {
                                    Interlocked.Increment(ref bad);
                                }
                            }
                            if (balancer is DynamicWeightAverage<float> && Math.Abs(weights.Sum() - K) > 1e-4)
                            {
                                Interlocked.Increment(ref bad);
                            }
                            if (!weights.All(float.IsFinite))
                            {
                                Interlocked.Increment(ref bad);
                            }
                        }
                    }
                    catch (Exception e)
                    {
                        errors.Add(e);
                    }
                });
            }
            foreach (var thread in threads)
            {
                thread.Start();
            }
            foreach (var thread in threads)
            {
                thread.Join();
            }
            Assert.Empty(errors);
            Assert.Equal(0, bad);
        }
    }
}
