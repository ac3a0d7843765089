using FsCheck.Xunit;

namespace Losses.Tests;

public class JensenShannonProperties
{
    [Property(MaxTest = 200)]
    public void Symmetric_bounded_and_the_mean_of_two_KLs(int seed)
    {
        var random = new Random(seed);
        int n = random.Next(4) == 0 ? random.Next(1, 300) : random.Next(1, 40);
        double[] p = Distributions.Probabilities(random, n);
        double[] q = Distributions.Probabilities(random, n);
        double js = JensenShannon.Divergence<double>(p, q);
        Assert.Equal(js, JensenShannon.Divergence<double>(q, p));
        Assert.InRange(js, 0, Math.Log(2) + 1e-15);
        Assert.InRange(JensenShannon.Divergence<double>(p, q, 2), 0, 1 + 1e-15);
        double[] m = [.. p.Zip(q, (a, b) => (a + b) / 2)];
        double expected = 0.5 * KLDivergence.Of<double>(p, m) + 0.5 * KLDivergence.Of<double>(q, m);
        Assert.Equal(expected, js, 1e-12);
        Assert.Equal(Math.Sqrt(js), JensenShannon.Distance<double>(p, q), 1e-15);
        float jsf = JensenShannon.Divergence(Distributions.ToFloat(p), Distributions.ToFloat(q));
        Assert.Equal(js, jsf, 3e-6);
        Assert.Equal(jsf, JensenShannon.Divergence(Distributions.ToFloat(q), Distributions.ToFloat(p)));
    }
}
