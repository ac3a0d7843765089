using System.Numerics;

namespace Losses.Tests;

/// <summary>MatrixMultiply: the documented FMA chain bit for bit, a double reference, thread independence, bad input, allocation.</summary>
public class MatrixMultiplyTests
{
    public enum Layout
    {
        AB,
        ABt,
        AtB,
    }

    public static TheoryData<int, int, int> Shapes => new()
    {
        { 1, 1, 1 },
        { 1, 1, 7 },
        { 7, 13, 5 },
        { 6, 32, 1 },
        { 5, 17, 1 },
        { 13, 37, 300 },
        { 151, 70, 40 },
        { 4, 2100, 3 },
        { 2, 3, 1100 },
    };

    /// <summary>C = op(A)·op(B) for the layout, through the public API.</summary>
    private static void Run<T>(Layout layout, T[] a, T[] b, T[] c, int m, int n, int k, bool accumulate, int threads)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        switch (layout)
        {
            case Layout.AB:
                MatrixMultiply.Multiply<T>(a, b, c, m, n, k, accumulate, threads);
                break;
            case Layout.ABt:
                MatrixMultiply.MultiplyTransposedB<T>(a, b, c, m, n, k, accumulate, threads);
                break;
            default:
                MatrixMultiply.MultiplyTransposedA<T>(a, b, c, m, n, k, accumulate, threads);
                break;
        }
    }

    private static T A<T>(Layout layout, T[] a, int m, int k, int i, int p) => layout == Layout.AtB ? a[(p * m) + i] : a[(i * k) + p];

    private static T B<T>(Layout layout, T[] b, int n, int k, int p, int j) => layout == Layout.ABt ? b[(j * k) + p] : b[(p * n) + j];

    private static T[] Random<T>(int length, int seed)
        where T : IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => T.CreateTruncating((random.NextDouble() * 2) - 1))];
    }

    private static void Check<T>(Layout layout, int m, int n, int k, bool accumulate)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T[] a = Random<T>(m * k, 1 + m);
        T[] b = Random<T>(k * n, 2 + n);
        T[] start = Random<T>(m * n, 3 + k);
        T[] c = (T[])start.Clone();
        Run(layout, a, b, c, m, n, k, accumulate, 1);
        for (int i = 0; i < m; i++)
        {
            for (int j = 0; j < n; j++)
            {
                // The documented chain, and a double-precision reference with the error bound of an ordered sum.
                T chain = accumulate ? start[(i * n) + j] : T.Zero;
                double exact = accumulate ? double.CreateTruncating(start[(i * n) + j]) : 0;
                double magnitude = Math.Abs(exact);
                for (int p = 0; p < k; p++)
                {
                    T x = A(layout, a, m, k, i, p);
                    T y = B(layout, b, n, k, p, j);
                    chain = T.FusedMultiplyAdd(x, y, chain);
                    exact += double.CreateTruncating(x) * double.CreateTruncating(y);
                    magnitude += Math.Abs(double.CreateTruncating(x) * double.CreateTruncating(y));
                }
                T actual = c[(i * n) + j];
                Assert.True(chain.Equals(actual), $"{layout} {m}x{n}x{k} C[{i},{j}] = {actual}, FMA chain {chain}");
                double epsilon = typeof(T) == typeof(float) ? Math.ScaleB(1, -24) : Math.ScaleB(1, -53);
                Approx.Equal(exact, double.CreateTruncating(actual), 0, (k + 1) * epsilon * magnitude, $"{layout} C[{i},{j}]");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float_products_equal_the_fma_chain_and_the_double_reference(int m, int n, int k)
    {
        foreach (Layout layout in Enum.GetValues<Layout>())
        {
            Check<float>(layout, m, n, k, accumulate: false);
            Check<float>(layout, m, n, k, accumulate: true);
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Double_products_equal_the_fma_chain_and_the_double_reference(int m, int n, int k)
    {
        foreach (Layout layout in Enum.GetValues<Layout>())
        {
            Check<double>(layout, m, n, k, accumulate: false);
            Check<double>(layout, m, n, k, accumulate: true);
        }
    }

    [Theory]
    [InlineData(Layout.AB)]
    [InlineData(Layout.ABt)]
    [InlineData(Layout.AtB)]
    public void Thread_count_does_not_change_any_bit(Layout layout)
    {
        foreach ((int m, int n, int k) in new[] { (130, 140, 70), (7, 1000, 300), (1000, 9, 300) })
        {
            float[] a = Random<float>(m * k, 5);
            float[] b = Random<float>(k * n, 6);
            float[] one = new float[m * n];
            Run(layout, a, b, one, m, n, k, false, 1);
            foreach (int threads in new[] { 2, 3, -1 })
            {
                float[] many = new float[m * n];
                Run(layout, a, b, many, m, n, k, false, threads);
                Assert.Equal(one, many);
            }
        }
    }

    [Fact]
    public void Accumulating_slices_of_k_equals_one_product()
    {
        int m = 9, n = 40, k = 301;
        float[] a = Random<float>(m * k, 7);
        float[] b = Random<float>(k * n, 8);
        float[] whole = new float[m * n];
        MatrixMultiply.MultiplyTransposedA<float>(a, b, whole, m, n, k);
        float[] sliced = new float[m * n];
        foreach ((int start, int length) in new[] { (0, 100), (100, 1), (101, 200) })
        {
            MatrixMultiply.MultiplyTransposedA<float>(a.AsSpan(start * m, length * m), b.AsSpan(start * n, length * n), sliced, m, n, length, accumulate: start > 0);
        }
        Assert.Equal(whole, sliced);
    }

    [Fact]
    public void Zero_inner_dimension_clears_or_keeps_c()
    {
        float[] c = [1, 2, 3, 4];
        MatrixMultiply.Multiply<float>([], [], c, 2, 2, 0, accumulate: true);
        Assert.Equal([1f, 2, 3, 4], c);
        MatrixMultiply.Multiply<float>([], [], c, 2, 2, 0);
        Assert.Equal([0f, 0, 0, 0], c);
    }

    [Fact]
    public void Infinities_and_nan_propagate()
    {
        float[] c = new float[2];
        MatrixMultiply.MultiplyTransposedB<float>([float.PositiveInfinity, 0], [1, 1, 0, 1], c, 1, 2, 2);
        Assert.Equal(float.PositiveInfinity, c[0]);
        Assert.True(float.IsNaN(c[1]));
    }

    [Fact]
    public void Single_thread_call_allocates_nothing()
    {
        int m = 64, n = 100, k = 300;
        float[] a = Random<float>(m * k, 1);
        float[] b = Random<float>(k * n, 2);
        float[] c = new float[m * n];
        Assert.Equal(0, Allocations.Of(() => MatrixMultiply.Multiply<float>(a, b, c, m, n, k)));
        Assert.Equal(0, Allocations.Of(() => MatrixMultiply.MultiplyTransposedB<float>(a, b, c, m, n, k)));
        double[] ad = Random<double>(m * k, 1);
        double[] bd = Random<double>(k * n, 2);
        double[] cd = new double[m * n];
        Assert.Equal(0, Allocations.Of(() => MatrixMultiply.MultiplyTransposedA<double>(ad, bd, cd, m, n, k, accumulate: true)));
    }

    [Fact]
    public void Bad_input_throws_naming_the_argument_and_writes_nothing()
    {
        float[] a = new float[6];
        float[] b = new float[6];
        float[] c = [7, 7, 7, 7];
        Assert.Equal("a", Assert.Throws<ArgumentException>(() => MatrixMultiply.Multiply<float>(a.AsSpan(1), b, c, 2, 2, 3)).ParamName);
        Assert.Equal("b", Assert.Throws<ArgumentException>(() => MatrixMultiply.MultiplyTransposedB<float>(a, b.AsSpan(0, 5), c, 2, 2, 3)).ParamName);
        Assert.Equal("c", Assert.Throws<ArgumentException>(() => MatrixMultiply.MultiplyTransposedA<float>(a, b, c.AsSpan(1), 2, 2, 3)).ParamName);
        Assert.Equal("m", Assert.Throws<ArgumentOutOfRangeException>(() => MatrixMultiply.Multiply<float>(a, b, c, -1, 2, 3)).ParamName);
        Assert.Equal("maxDegreeOfParallelism", Assert.Throws<ArgumentOutOfRangeException>(() => MatrixMultiply.Multiply<float>(a, b, c, 2, 2, 3, maxDegreeOfParallelism: 0)).ParamName);
        float[] shared = new float[10];
        var overlap = Assert.Throws<ArgumentException>(() => MatrixMultiply.Multiply<float>(shared.AsSpan(0, 6), b, shared.AsSpan(5, 4), 2, 2, 3));
        Assert.Equal("c", overlap.ParamName);
        var overlapB = Assert.Throws<ArgumentException>(() => MatrixMultiply.Multiply<float>(a, shared.AsSpan(0, 6), shared.AsSpan(4, 4), 2, 2, 3));
        Assert.Contains("b", overlapB.Message, StringComparison.Ordinal);
        Assert.Equal([7f, 7, 7, 7], c);
    }
}
