using System.Numerics;

namespace Losses.Tests;

public class EntropyTests
{
    public static TheoryData<string> Cases => DistributionCase.Names();

    public static TheoryData<string> BinaryCases => DistributionCase.Names(c => c.TryGetProperty("binaryCross", out _));

    [Theory, MemberData(nameof(Cases))]
    public void Of_matches_scipy_entr(string name)
    {
        Of<float>(new DistributionCase(name));
        Of<double>(new DistributionCase(name));

        static void Of<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.P<T>();
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            Entropy.Of<T>(p, batch, n, c.Base);
            c.CheckRows("entropy", row => Entropy.Of<T>(p.AsSpan(row * n, n), c.Base), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FromCounts_matches_scipy_stats_entropy(string name)
    {
        FromCounts<float>(new DistributionCase(name));
        FromCounts<double>(new DistributionCase(name));

        static void FromCounts<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] counts = c.Values<T>("counts");
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            Entropy.FromCounts<T>(counts, batch, n, c.Base);
            c.CheckRows("entropyCounts", row => Entropy.FromCounts<T>(counts.AsSpan(row * n, n), c.Base), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FromLogits_matches_entropy_of_scipy_softmax(string name)
    {
        FromLogits<float>(new DistributionCase(name));
        FromLogits<double>(new DistributionCase(name));

        static void FromLogits<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] x = c.Values<T>("logits");
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            Entropy.FromLogits<T>(x, batch, n, c.Base);
            c.CheckRows("entropyLogits", row => Entropy.FromLogits<T>(x.AsSpan(row * n, n), c.Base), batch);
            Entropy.PerplexityFromLogits<T>(x, batch, n);
            c.CheckRows("perplexityLogits", row => Entropy.PerplexityFromLogits<T>(x.AsSpan(row * n, n)), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Cross_matches_scipy_xlogy(string name)
    {
        Cross<float>(new DistributionCase(name));
        Cross<double>(new DistributionCase(name));

        static void Cross<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.P<T>();
            T[] q = c.Q<T>();
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            Entropy.Cross<T>(p, q, batch, n, c.Base);
            c.CheckRows("cross", row => Entropy.Cross<T>(p.AsSpan(row * n, n), q.AsSpan(row * n, n), c.Base), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void CrossFromLogits_matches_scipy_log_softmax(string name)
    {
        CrossFromLogits<float>(new DistributionCase(name));
        CrossFromLogits<double>(new DistributionCase(name));

        static void CrossFromLogits<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.P<T>();
            T[] x = c.Values<T>("studentLogits");
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            Entropy.CrossFromLogits<T>(p, x, batch, n, c.Base);
            c.CheckRows("crossLogits", row => Entropy.CrossFromLogits<T>(p.AsSpan(row * n, n), x.AsSpan(row * n, n), c.Base), batch);
        }
    }

    [Theory, MemberData(nameof(BinaryCases))]
    public void BinaryCross_matches_scipy_and_torch(string name)
    {
        Binary<float>(new DistributionCase(name));
        Binary<double>(new DistributionCase(name));

        static void Binary<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (relative, absolute) = DistributionCase.Tolerance<T>();
            T[] p = c.P<T>();
            T[] q = c.Q<T>();
            T[] x = c.Values<T>("studentLogits");
            var perElement = new T[p.Length];
            double[] expected = c.Expected("binaryCross");
            T sum = Entropy.BinaryCross<T>(p, q, perElement);
            Approx.Equal<double>(expected, [.. perElement.Select(double.CreateTruncating)], relative, absolute, c.Name);
            Approx.Equal(expected.Sum(), double.CreateTruncating(sum), relative, absolute, c.Name + " sum");
            Approx.Equal(expected.Sum(), double.CreateTruncating(Entropy.BinaryCross<T>(p, q)), relative, absolute, c.Name + " sum only");

            expected = c.Expected("binaryCrossLogits");
            sum = Entropy.BinaryCrossFromLogits<T>(p, x, perElement);
            Approx.Equal<double>(expected, [.. perElement.Select(double.CreateTruncating)], relative, absolute, c.Name + " logits");
            Approx.Equal(expected.Sum(), double.CreateTruncating(sum), relative, absolute, c.Name + " logits sum");
            Approx.Equal(expected.Sum(), double.CreateTruncating(Entropy.BinaryCrossFromLogits<T>(p, x)), relative, absolute, c.Name + " logits sum only");
        }
    }

    [Fact]
    public void Zero_probabilities_contribute_nothing()
    {
        Assert.Equal(1.5, Entropy.Of([0.5, 0.25, 0.25, 0.0], logBase: 2), 15);
        Assert.Equal(0.0, Entropy.Of([0.0, 1.0, 0.0]));
        Assert.Equal(0f, Entropy.Of([0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f]));
        Assert.Equal(0.0, Entropy.Cross([0.0, 1.0], [0.0, 1.0]));
        Assert.Equal(-Math.Log(0.5), Entropy.Cross([0.0, 1.0], [0.5, 0.5]), 15);
    }

    [Fact]
    public void Positive_p_where_q_is_zero_is_infinite()
    {
        Assert.Equal(double.PositiveInfinity, Entropy.Cross([0.5, 0.5], [1.0, 0.0]));
        Assert.Equal(float.PositiveInfinity, Entropy.CrossFromLogits([0.5f, 0.5f], [0f, float.NegativeInfinity]));
        Assert.Equal(double.PositiveInfinity, Entropy.BinaryCross([0.5], [0.0]));
        Assert.Equal(double.PositiveInfinity, Entropy.BinaryCross([0.5], [1.0]));
        Assert.Equal(0.0, Entropy.BinaryCross([1.0, 0.0], [1.0, 0.0]));
    }

    [Fact]
    public void Empty_input_has_zero_entropy()
    {
        Assert.Equal(0.0, Entropy.Of(ReadOnlySpan<double>.Empty));
        Assert.Equal(0f, Entropy.FromLogits(ReadOnlySpan<float>.Empty));
        Assert.Equal(0.0, Entropy.FromCounts(ReadOnlySpan<double>.Empty));
        Assert.Equal(0.0, Entropy.Cross(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
        Assert.Equal(1.0, Entropy.Perplexity(ReadOnlySpan<double>.Empty));
        Assert.Equal(0.0, Entropy.BinaryCross(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
        Entropy.Of(ReadOnlySpan<double>.Empty, Span<double>.Empty, classCount: 4);
    }

    [Fact]
    public void All_zero_counts_give_NaN_as_scipy()
    {
        Assert.True(double.IsNaN(Entropy.FromCounts([0.0, 0.0, 0.0])));
    }

    [Fact]
    public void Perplexity_is_the_effective_number_of_classes()
    {
        Assert.Equal(4.0, Entropy.Perplexity([0.25, 0.25, 0.25, 0.25]), 14);
        Assert.Equal(3f, Entropy.PerplexityFromLogits([0f, 0f, 0f]), 5);
        var perplexities = new double[2];
        Entropy.Perplexity([0.5, 0.5, 1.0, 0.0], perplexities, classCount: 2);
        Assert.Equal([2.0, 1.0], perplexities);
    }

    [Theory]
    [InlineData(1e4)]
    [InlineData(-1e4)]
    public void Logits_at_extreme_offsets_keep_full_accuracy(double offset)
    {
        // Entropy of softmax is shift invariant; the naive logsumexp − E[x] loses every digit at 1e4 in float.
        float[] x = [(float)offset, (float)offset - 1, (float)offset - 2, float.NegativeInfinity, (float)offset - 30];
        double[] p = Distributions.Softmax([0, -1, -2, double.NegativeInfinity, -30]);
        double expected = -p.Where(v => v > 0).Sum(v => v * Math.Log(v));
        Assert.Equal(expected, Entropy.FromLogits(x), 6);
        Assert.Equal(expected, Entropy.FromLogits(Distributions.ToDouble(x)), 6);
        Assert.Equal(1.0, Entropy.FromLogits([1e4f, 1e4f, float.NegativeInfinity], logBase: 2), 6);
    }

    [Fact]
    public void Bad_logits_give_NaN_like_softmax()
    {
        Assert.True(float.IsNaN(Entropy.FromLogits([1f, float.NaN, 2f])));
        Assert.True(float.IsNaN(Entropy.FromLogits([1f, float.PositiveInfinity, 2f])));
        Assert.True(double.IsNaN(Entropy.FromLogits([double.NegativeInfinity, double.NegativeInfinity])));
        Assert.Equal(0.0, Entropy.FromLogits([double.NegativeInfinity, 5.0]));
        var h = new float[2];
        Entropy.FromLogits([float.NaN, 0f, 0f, 0f], h, classCount: 2);
        Assert.True(float.IsNaN(h[0]));
        Assert.Equal(MathF.Log(2), h[1], 6);
    }

    [Fact]
    public void Binary_from_logits_handles_infinite_logits()
    {
        Assert.Equal(0.0, Entropy.BinaryCrossFromLogits([1.0, 0.0], [double.PositiveInfinity, double.NegativeInfinity]));
        Assert.Equal(double.PositiveInfinity, Entropy.BinaryCrossFromLogits([0.5], [double.PositiveInfinity]));
        Assert.Equal(0f, Entropy.BinaryCrossFromLogits([1f], [1e4f]));
        Assert.Equal(1e4f, Entropy.BinaryCrossFromLogits([0f], [1e4f]));
    }

    [Fact]
    public void Bad_probabilities_throw_naming_argument_and_index()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => Entropy.Of([0.5, 0.25, -0.25, 0.5]));
        Assert.Equal("p", e.ParamName);
        Assert.Contains("p[2]", e.Message);
        Assert.Contains("-0.25", e.Message);
        var withNaN = new float[40];
        withNaN[37] = float.NaN;
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.Of<float>(withNaN));
        Assert.Contains("p[37]", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.FromCounts([1.0, double.PositiveInfinity]));
        Assert.Equal("counts", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.Cross([0.5, 0.5], [0.5, double.NaN]));
        Assert.Equal("q", e.ParamName);
        Assert.Contains("q[1]", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.Cross([0.5, 0.5], [1.0]));
        Assert.Equal("q", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.CrossFromLogits([0.5, 0.5], [1.0]));
        Assert.Equal("logitsQ", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.BinaryCross([0.5, 1.5], [0.5, 0.5]));
        Assert.Contains("p[1]", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.BinaryCross([0.5], [-0.5]));
        Assert.Equal("q", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.Of([0.5, 0.5, 0.5], new double[1], classCount: 2));
        Assert.Equal("p", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => Entropy.Of([0.5, 0.5, 0.5, 0.5], new double[1], classCount: 2));
        Assert.Equal("destination", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => Entropy.Of([0.5, 0.5], new double[1], classCount: 0));
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(-2.0)]
    [InlineData(1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Invalid_base_throws(double logBase)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Entropy.Of([0.5, 0.5], logBase));
        Assert.Equal("logBase", e.ParamName);
    }

    [Fact]
    public void Nothing_is_written_when_input_is_bad()
    {
        var destination = new double[] { 7, 7 };
        Assert.ThrowsAny<ArgumentException>(() => Entropy.Of([0.5, 0.5, 0.5, -0.5], destination, classCount: 2));
        Assert.Equal([7.0, 7.0], destination);
    }

    [Fact]
    public void Hot_paths_do_not_allocate()
    {
        float[] p = Distributions.ToFloat(Distributions.Probabilities(new Random(1), 1000));
        float[] x = Distributions.ToFloat(Distributions.Logits(new Random(2), 1000));
        var destination = new float[1000];
        Assert.Equal(0, Allocations.Of(() => Entropy.Of<float>(p)));
        Assert.Equal(0, Allocations.Of(() => Entropy.Of<float>(p, destination, 100)));
        Assert.Equal(0, Allocations.Of(() => Entropy.FromCounts<float>(p, 2)));
        Assert.Equal(0, Allocations.Of(() => Entropy.FromLogits<float>(x)));
        Assert.Equal(0, Allocations.Of(() => Entropy.FromLogits<float>(x, destination, 100)));
        Assert.Equal(0, Allocations.Of(() => Entropy.PerplexityFromLogits<float>(x, destination, 100)));
        Assert.Equal(0, Allocations.Of(() => Entropy.Cross<float>(p, p)));
        Assert.Equal(0, Allocations.Of(() => Entropy.CrossFromLogits<float>(p, x, destination, 10)));
        Assert.Equal(0, Allocations.Of(() => Entropy.BinaryCross<float>(p, p, destination)));
        Assert.Equal(0, Allocations.Of(() => Entropy.BinaryCrossFromLogits<float>(p, x)));
    }
}
