using System.Numerics;

namespace Losses.Tests;

public class JensenShannonTests
{
    public static TheoryData<string> Cases => DistributionCase.Names();

    [Theory, MemberData(nameof(Cases))]
    public void Matches_scipy_jensenshannon(string name)
    {
        Check<float>(new DistributionCase(name));
        Check<double>(new DistributionCase(name));

        static void Check<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.Values<T>("counts");
            T[] q = c.Values<T>("countsQ");
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            JensenShannon.Divergence<T>(p, q, batch, n, c.Base);
            c.CheckRows("js", row => JensenShannon.Divergence<T>(p.AsSpan(row * n, n), q.AsSpan(row * n, n), c.Base), batch);
            JensenShannon.Distance<T>(p, q, batch, n, c.Base);
            c.CheckRows("jsDistance", row => JensenShannon.Distance<T>(p.AsSpan(row * n, n), q.AsSpan(row * n, n), c.Base), batch, slack: 10);
        }
    }

    [Fact]
    public void Bounds_and_conventions()
    {
        Assert.Equal(Math.Log(2), JensenShannon.Divergence([1.0, 0.0], [0.0, 1.0]), 15);
        Assert.Equal(1f, JensenShannon.Divergence([1f, 0f, 0f], [0f, 3f, 5f], logBase: 2), 6);
        Assert.Equal(0.0, JensenShannon.Divergence([0.2, 0.8], [0.2, 0.8]));
        Assert.Equal(0.0, JensenShannon.Divergence([2.0, 8.0], [0.2, 0.8]), 15); // normalised first, as SciPy
        Assert.Equal(0.5579230452841438, JensenShannon.Distance([1.0, 0.0], [0.5, 0.5], logBase: 2), 12);
        Assert.True(double.IsNaN(JensenShannon.Divergence([0.0, 0.0], [0.5, 0.5])));
        Assert.Equal(0.0, JensenShannon.Divergence(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
    }

    [Fact]
    public void Bad_input_throws_naming_argument_and_index()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => JensenShannon.Divergence([0.5, 0.5, 0.5], [0.5, -0.5, 0.5]));
        Assert.Equal("q", e.ParamName);
        Assert.Contains("q[1]", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => JensenShannon.Distance([0.5, 0.5], [0.5]));
        Assert.Equal("q", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => JensenShannon.Divergence([0.5], [0.5], logBase: 1));
    }

    [Fact]
    public void Hot_paths_do_not_allocate()
    {
        float[] p = Distributions.ToFloat(Distributions.Probabilities(new Random(1), 1000));
        float[] q = Distributions.ToFloat(Distributions.Probabilities(new Random(2), 1000));
        var destination = new float[10];
        Assert.Equal(0, Allocations.Of(() => JensenShannon.Divergence<float>(p, q)));
        Assert.Equal(0, Allocations.Of(() => JensenShannon.Distance<float>(p, q, destination, 100, 2)));
    }
}
