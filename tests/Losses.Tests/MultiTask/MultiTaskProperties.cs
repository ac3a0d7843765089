using FsCheck.Xunit;

namespace Losses.Tests;

/// <summary>Invariants of the multi-task balancers, on random task counts, losses and hyper-parameters (seeded by FsCheck).</summary>
public class MultiTaskProperties
{
    private static double[] Losses(Random random, int k, double low, double high)
    {
        var losses = new double[k];
        for (int i = 0; i < k; i++)
        {
            losses[i] = low * Math.Pow(high / low, random.NextDouble());
        }
        return losses;
    }

    [Property(MaxTest = 200)]
    public void DynamicWeightAverageWeightsArePositiveAndSumToK(int seed)
    {
        var random = new Random(seed);
        int k = 1 + random.Next(8);
        double temperature = 0.5 + 10 * random.NextDouble();
        var d = new DynamicWeightAverage<double>(k, temperature);
        var f = new DynamicWeightAverage<float>(k, (float)temperature);
        double[] wd = new double[k];
        float[] wf = new float[k];
        for (int step = 0; step < 5; step++)
        {
            double[] losses = Losses(random, k, 0.5, 2.0);
            d.Combine(losses, wd);
            f.Combine(Array.ConvertAll(losses, x => (float)x), wf);
            Assert.All(wd, w => Assert.True(w > 0));
            Assert.All(wf, w => Assert.True(w > 0));
            Approx.Equal(k, wd.Sum(), 1e-14);
            Approx.Equal(k, wf.Sum(x => (double)x), 1e-6);
        }
    }

    [Property(MaxTest = 200)]
    public void GradNormWeightsArePositiveAndSumToK(int seed)
    {
        var random = new Random(seed);
        int k = 1 + random.Next(8);
        var d = new GradNorm<double>(k, 3 * random.NextDouble(), Math.Pow(10, -3 + 3 * random.NextDouble()));
        double[] w = new double[k];
        for (int step = 0; step < 10; step++)
        {
            double[] losses = Losses(random, k, 1e-3, 1e3);
            d.Combine(losses, w);
            double[] norms = Losses(random, k, 1e-2, 1e2);
            for (int i = 0; i < k; i++)
            {
                norms[i] *= w[i];
            }
            d.Update(norms, losses);
            Assert.All(d.Weights.ToArray(), x => Assert.True(x > 0 && double.IsFinite(x)));
            Approx.Equal(k, d.Weights.ToArray().Sum(), 1e-13);
        }
    }

    [Property(MaxTest = 200)]
    public void UncertaintyWeightingGradientIsTheFiniteDifference(int seed)
    {
        var random = new Random(seed);
        int k = 1 + random.Next(6);
        var terms = new UncertaintyTerm[k];
        var s = new double[k];
        for (int i = 0; i < k; i++)
        {
            terms[i] = (UncertaintyTerm)random.Next(2);
            s[i] = -5 + 10 * random.NextDouble();
        }
        double[] losses = Losses(random, k, 1e-3, 1e3);
        var balancer = new UncertaintyWeighting<double>(terms, s, learningRate: 0);
        double[] w = new double[k], gradient = new double[k];
        balancer.Combine(losses, w, gradient);
        for (int i = 0; i < k; i++)
        {
            const double h = 1e-5;
            balancer.LogVariances[i] = s[i] + h;
            double plus = balancer.Combine(losses, w);
            balancer.LogVariances[i] = s[i] - h;
            double minus = balancer.Combine(losses, w);
            balancer.LogVariances[i] = s[i];
            double scale = Math.Abs(plus) + 1;
            Approx.Equal((plus - minus) / (2 * h), gradient[i], 1e-6, 1e-9 * scale, $"task {i}");
            // the effective weight is ∂total/∂Lᵢ
            double[] shifted = (double[])losses.Clone();
            shifted[i] += h;
            double lossPlus = balancer.Combine(shifted, new double[k]);
            shifted[i] -= 2 * h;
            double lossMinus = balancer.Combine(shifted, new double[k]);
            balancer.Combine(losses, w);
            Approx.Equal((lossPlus - lossMinus) / (2 * h), w[i], 1e-6, 1e-9 * scale, $"weight {i}");
        }
    }

    [Property(MaxTest = 100)]
    public void RestoringSavedStateReproducesTheNextStep(int seed)
    {
        var random = new Random(seed);
        int k = 1 + random.Next(6);
        int steps = random.Next(5);
        var uw = new UncertaintyWeighting<float>(k, 0.05f);
        var dwa = new DynamicWeightAverage<float>(k, 2f);
        var gn = new GradNorm<float>(k, 1.5f, 0.05f);
        var norm = new InitialLossNormalization<float>(k);
        float[] w = new float[k];
        for (int step = 0; step < steps; step++)
        {
            float[] l = Array.ConvertAll(Losses(random, k, 0.1, 10), x => (float)x);
            uw.Combine(l, w);
            dwa.Combine(l, w);
            gn.Combine(l, w);
            gn.Update(Array.ConvertAll(Losses(random, k, 0.1, 10), x => (float)x), l);
            norm.Combine(l, w);
        }
        float[] next = Array.ConvertAll(Losses(random, k, 0.1, 10), x => (float)x);
        float[] norms = Array.ConvertAll(Losses(random, k, 0.1, 10), x => (float)x);

        var uw2 = new UncertaintyWeighting<float>(k, 0.05f);
        uw2.Restore(uw.Save());
        Same(uw, uw2, next);
        Assert.Equal(uw.LogVariances.ToArray(), uw2.LogVariances.ToArray());

        var dwa2 = new DynamicWeightAverage<float>(k, 2f);
        dwa2.Restore(dwa.Save());
        Same(dwa, dwa2, next);
        Same(dwa, dwa2, norms);

        var gn2 = new GradNorm<float>(k, 1.5f, 0.05f);
        gn2.Restore(gn.Save());
        Same(gn, gn2, next);
        Assert.Equal(gn.Update(norms, next), gn2.Update(norms, next));
        Assert.Equal(gn.Weights.ToArray(), gn2.Weights.ToArray());

        var norm2 = new InitialLossNormalization<float>(k);
        norm2.Restore(norm.Save());
        Same(norm, norm2, next);
    }

    private static void Same(ILossBalancer<float> a, ILossBalancer<float> b, float[] losses)
    {
        float[] wa = new float[losses.Length], wb = new float[losses.Length];
        Assert.Equal(a.Combine(losses, wa), b.Combine(losses, wb));
        Assert.Equal(wa, wb);
    }
}
