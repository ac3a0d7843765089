using System.Numerics;

namespace Losses.Tests;

public class KLDivergenceTests
{
    public static TheoryData<string> Cases => DistributionCase.Names();

    public static TheoryData<string> GradientCases => DistributionCase.Names(c => c.TryGetProperty("distillationGradient", out _));

    [Theory, MemberData(nameof(Cases))]
    public void Of_matches_scipy_rel_entr(string name)
    {
        Of<float>(new DistributionCase(name));
        Of<double>(new DistributionCase(name));

        static void Of<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.P<T>();
            T[] q = c.Q<T>();
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            KLDivergence.Of<T>(p, q, batch, n, c.Base);
            c.CheckRows("kl", row => KLDivergence.Of<T>(p.AsSpan(row * n, n), q.AsSpan(row * n, n), c.Base), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FromCounts_matches_scipy_stats_entropy(string name)
    {
        FromCounts<float>(new DistributionCase(name));
        FromCounts<double>(new DistributionCase(name));

        static void FromCounts<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.Values<T>("counts");
            T[] q = c.Values<T>("countsQ");
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            KLDivergence.FromCounts<T>(p, q, batch, n, c.Base);
            c.CheckRows("klCounts", row => KLDivergence.FromCounts<T>(p.AsSpan(row * n, n), q.AsSpan(row * n, n), c.Base), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FromLogProbabilities_matches_torch_kl_div(string name)
    {
        FromLogProbabilities<float>(new DistributionCase(name));
        FromLogProbabilities<double>(new DistributionCase(name));

        static void FromLogProbabilities<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] p = c.P<T>();
            T[] logP = [.. p.Select(v => T.Log(v))];
            T[] logQ = [.. c.Q<T>().Select(v => T.Log(v))];
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            KLDivergence.FromLogProbabilities<T>(p, logQ, batch, n);
            c.CheckRows("klLogQ", row => KLDivergence.FromLogProbabilities<T>(p.AsSpan(row * n, n), logQ.AsSpan(row * n, n)), batch);
            KLDivergence.FromLogProbabilities<T>(logP, logQ, batch, n, logTarget: true);
            c.CheckRows("klLogQ", row => KLDivergence.FromLogProbabilities<T>(logP.AsSpan(row * n, n), logQ.AsSpan(row * n, n), logTarget: true), batch, slack: 3);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void FromLogits_matches_scipy_rel_entr_of_softmax(string name)
    {
        FromLogits<float>(new DistributionCase(name));
        FromLogits<double>(new DistributionCase(name));

        static void FromLogits<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] t = c.Values<T>("logits");
            T[] s = c.Values<T>("studentLogits");
            int n = c.ClassCount;
            var batch = new T[c.Rows];
            KLDivergence.FromLogits<T>(t, s, batch, n, c.Temperature);
            c.CheckRows("klLogits", row => KLDivergence.FromLogits<T>(t.AsSpan(row * n, n), s.AsSpan(row * n, n), c.Temperature), batch);
        }
    }

    [Theory, MemberData(nameof(Cases))]
    public void Distillation_matches_torch_loss_and_autograd(string name)
    {
        Distillation<float>(new DistributionCase(name));
        Distillation<double>(new DistributionCase(name));

        static void Distillation<T>(DistributionCase c) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var (relative, absolute) = DistributionCase.Tolerance<T>();
            T[] t = c.Values<T>("logits");
            T[] s = c.Values<T>("studentLogits");
            var gradient = c.Has("distillationGradient") ? new T[t.Length] : [];
            T loss = KLDivergence.Distillation<T>(t, s, c.ClassCount, gradient, temperature: c.Temperature, scaleByTemperatureSquared: true);
            Approx.Equal(c.Scalar("distillationLoss"), double.CreateTruncating(loss), relative, absolute, $"{c.Name} {typeof(T).Name} loss");
            if (gradient.Length > 0)
            {
                Approx.Equal<double>(c.Expected("distillationGradient"), [.. gradient.Select(double.CreateTruncating)], relative, absolute, $"{c.Name} {typeof(T).Name} gradient");

                // In place: the gradient overwrites the student logits.
                T inPlace = KLDivergence.Distillation<T>(t, s, c.ClassCount, s, temperature: c.Temperature, scaleByTemperatureSquared: true);
                Assert.Equal(loss, inPlace);
                Assert.Equal(gradient, s);
            }
        }
    }

    [Fact]
    public void Argument_order_is_p_then_q()
    {
        // D(P ‖ Q) for P = [0.5, 0.5], Q = [0.9, 0.1] is 0.5108; the reverse is 0.3681.
        Assert.Equal(0.5108256237659907, KLDivergence.Of([0.5, 0.5], [0.9, 0.1]), 14);
        Assert.Equal(0.3680642071684971, KLDivergence.Of([0.9, 0.1], [0.5, 0.5]), 14);
        Assert.Equal(0.5108256237659907, KLDivergence.FromLogProbabilities([0.5, 0.5], [Math.Log(0.9), Math.Log(0.1)]), 14);
        Assert.Equal(0.5108256237659907, KLDivergence.FromLogits([0.0, 0.0], [Math.Log(9), 0.0]), 14);
        Assert.Equal(0.5108256237659907 / Math.Log(2), KLDivergence.Of([0.5, 0.5], [0.9, 0.1], logBase: 2), 14);
    }

    [Fact]
    public void Conventions_for_zeros()
    {
        Assert.Equal(0.0, KLDivergence.Of([0.0, 1.0], [0.0, 1.0]));
        Assert.Equal(double.PositiveInfinity, KLDivergence.Of([0.5, 0.5], [1.0, 0.0]));
        Assert.Equal(0.0, KLDivergence.FromLogProbabilities([0.0, 1.0], [double.NegativeInfinity, 0.0]));
        Assert.Equal(0.0, KLDivergence.FromLogProbabilities([double.NegativeInfinity, 0.0], [double.NegativeInfinity, 0.0], logTarget: true));
        Assert.Equal(double.PositiveInfinity, KLDivergence.FromLogProbabilities([0.5, 0.5], [double.NegativeInfinity, 0.0]));
        Assert.Equal(0f, KLDivergence.FromLogits([float.NegativeInfinity, 1f], [float.NegativeInfinity, 1f]));
        Assert.Equal(float.PositiveInfinity, KLDivergence.FromLogits([0f, 1f], [float.NegativeInfinity, 1f]));
        Assert.Equal(double.PositiveInfinity, KLDivergence.FromLogits(new double[20] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20 },
            [.. Enumerable.Range(0, 20).Select(i => i % 8 == 3 ? double.NegativeInfinity : i)]));
        Assert.True(double.IsNaN(KLDivergence.FromLogits([double.NegativeInfinity, double.NegativeInfinity], [0.0, 0.0])));
        Assert.True(float.IsNaN(KLDivergence.FromLogits([float.NaN, 0f], [0f, 0f])));
        Assert.Equal(0.0, KLDivergence.Of(ReadOnlySpan<double>.Empty, ReadOnlySpan<double>.Empty));
        Assert.Equal(0f, KLDivergence.FromLogits(ReadOnlySpan<float>.Empty, ReadOnlySpan<float>.Empty));
        Assert.True(double.IsNaN(KLDivergence.FromCounts([0.0, 0.0], [1.0, 1.0])));
    }

    [Fact]
    public void Extreme_logits_keep_accuracy()
    {
        // Same distributions shifted by 1e4: the divergence must not change.
        float[] t = [0f, -1f, -2f, float.NegativeInfinity];
        float[] s = [-0.5f, -1f, -1.5f, float.NegativeInfinity];
        float expected = KLDivergence.FromLogits(t, s);
        float[] tShifted = [.. t.Select(v => v + 1e4f)];
        float[] sShifted = [.. s.Select(v => v - 1e4f)];
        Assert.Equal(expected, KLDivergence.FromLogits(tShifted, sShifted), 6);
        double[] pt = Distributions.Softmax([0, -1, -2]);
        double[] ps = Distributions.Softmax([-0.5, -1, -1.5]);
        Assert.Equal(pt.Zip(ps, (a, b) => a * Math.Log(a / b)).Sum(), expected, 6);
    }

    [Fact]
    public void Far_tails_count_in_blocks_as_in_single_rows()
    {
        // 16 rows of 2 and of 10 classes (the block path; each row alone takes the row path). Teacher terms e^−90 (below
        // the float normals) weighed by a difference of 3e38: KL = e^−90·3e38 ≈ 0.25, which a flushed exp would lose.
        // Student terms far below e^−86.5 (the block flushes them to 0): the divergence and gradient as the row path's.
        foreach (int classes in new[] { 2, 10 })
        {
            const int rows = 16;
            var teacher = new float[rows * classes];
            var student = new float[rows * classes];
            for (int r = 0; r < rows; r++)
            {
                for (int k = 1; k < classes; k++)
                {
                    teacher[(r * classes) + k] = r % 2 == 0 ? -90f - k : -k;
                    student[(r * classes) + k] = r % 2 == 0 ? -3e38f : -88f - (r * k);
                }
            }
            var perRow = new float[rows];
            KLDivergence.FromLogits<float>(teacher, student, perRow, classes);
            var gradient = new float[rows * classes];
            KLDivergence.Distillation<float>(teacher, student, classes, gradient, Reduction.Sum);
            for (int r = 0; r < rows; r++)
            {
                var t = teacher.AsSpan(r * classes, classes);
                var s = student.AsSpan(r * classes, classes);
                float alone = KLDivergence.FromLogits<float>(t, s);
                Approx.Equal(alone, perRow[r], 1e-5, 1e-7, $"{classes} classes, KL row {r}");
                if (r % 2 == 0)
                {
                    double expected = Enumerable.Range(1, classes - 1).Sum(k => Math.Exp(-90.0 - k) * 3e38);
                    Approx.Equal(expected, perRow[r], 1e-4, 0, $"{classes} classes, far teacher tail, row {r}");
                }
                var g = new float[classes];
                KLDivergence.Distillation<float>(t, s, classes, g, Reduction.Sum);
                Approx.Equal<float>(g, gradient.AsSpan(r * classes, classes), 2e-6, 1e-7, $"{classes} classes, gradient row {r}");
            }
        }
    }

    [Fact]
    public void Reductions_scale_loss_and_gradient()
    {
        var random = new Random(5);
        double[] t = Distributions.Logits(random, 30);
        double[] s = Distributions.Logits(random, 30);
        var perRow = new double[3];
        KLDivergence.FromLogits<double>(t, s, perRow, 10, temperature: 3);
        var gSum = new double[30];
        var gMean = new double[30];
        var gBatchMean = new double[30];
        double sum = KLDivergence.Distillation<double>(t, s, 10, gSum, temperature: 3, reduction: Reduction.Sum);
        double mean = KLDivergence.Distillation<double>(t, s, 10, gMean, temperature: 3, reduction: Reduction.Mean);
        double batchMean = KLDivergence.Distillation<double>(t, s, 10, gBatchMean, temperature: 3);
        double scaled = KLDivergence.Distillation<double>(t, s, 10, [], temperature: 3, scaleByTemperatureSquared: true, reduction: Reduction.Sum);
        Assert.Equal(perRow.Sum(), sum, 13);
        Assert.Equal(sum / 30, mean, 13);
        Assert.Equal(sum / 3, batchMean, 13);
        Assert.Equal(sum * 9, scaled, 12);
        for (int i = 0; i < 30; i++)
        {
            Assert.Equal(gSum[i] / 30, gMean[i], 15);
            Assert.Equal(gSum[i] / 3, gBatchMean[i], 15);
        }
        Assert.True(double.IsNaN(KLDivergence.Distillation<double>([], [], 10, [])));
        Assert.Equal(0.0, KLDivergence.Distillation<double>([], [], 10, [], reduction: Reduction.Sum));
    }

    [Fact]
    public void Bad_input_throws_naming_argument_and_index()
    {
        var e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Of([0.5, 0.5], [0.5, -0.5]));
        Assert.Equal("q", e.ParamName);
        Assert.Contains("q[1]", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Of([double.NaN, 0.5], [0.5, 0.5]));
        Assert.Equal("p", e.ParamName);
        Assert.Contains("p[0]", e.Message);
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Of([0.5, 0.5], [1.0]));
        Assert.Equal("q", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.FromLogProbabilities([0.5, 0.5], [0.0, double.NaN]));
        Assert.Equal("logQ", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.FromLogProbabilities([-0.5, 0.5], [0.0, 0.0]));
        Assert.Equal("p", e.ParamName);
        KLDivergence.FromLogProbabilities([-0.5, -1.5], [0.0, 0.0], logTarget: true); // log P may be negative
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.FromLogits([0.0, 0.0], [0.0]));
        Assert.Equal("studentLogits", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Distillation<double>([0, 0, 0, 0], [0, 0, 0, 0], 2, new double[3]));
        Assert.Equal("studentGradient", e.ParamName);
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Distillation<double>([0, 0, 0, 0, 0], [0, 0, 0, 0, 0], 2, new double[5]));
        Assert.Equal("teacherLogits", e.ParamName);
        var overlapping = new double[5];
        e = Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Distillation<double>(overlapping.AsSpan(0, 4), [0, 0, 0, 0], 2, overlapping.AsSpan(1, 4)));
        Assert.Equal("studentGradient", e.ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.FromLogits([0.0], [0.0], temperature: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.FromLogits([0.0], [0.0], temperature: double.NaN));
        var r = Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.Distillation<double>([0, 0], [0, 0], 2, new double[2], reduction: Reduction.None));
        Assert.Equal("reduction", r.ParamName);
        r = Assert.Throws<ArgumentOutOfRangeException>(() => KLDivergence.Of([0.5, 0.5], [0.5, 0.5], logBase: -1));
        Assert.Equal("logBase", r.ParamName);
    }

    [Fact]
    public void Nothing_is_written_when_input_is_bad()
    {
        var destination = new double[] { 7, 7 };
        Assert.ThrowsAny<ArgumentException>(() => KLDivergence.Of([0.5, 0.5, 0.5, 0.5], [0.5, 0.5, 0.5, double.NaN], destination, classCount: 2));
        Assert.Equal([7.0, 7.0], destination);
    }

    [Fact]
    public void Hot_paths_do_not_allocate()
    {
        float[] p = Distributions.ToFloat(Distributions.Probabilities(new Random(1), 1000));
        float[] t = Distributions.ToFloat(Distributions.Logits(new Random(2), 1000));
        float[] s = Distributions.ToFloat(Distributions.Logits(new Random(3), 1000));
        var destination = new float[1000];
        var gradient = new float[1000];
        Assert.Equal(0, Allocations.Of(() => KLDivergence.Of<float>(p, p)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.Of<float>(p, p, destination, 100)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.FromCounts<float>(p, p)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.FromLogProbabilities<float>(t, s, destination, 100, logTarget: true)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.FromLogits<float>(t, s, 2)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.FromLogits<float>(t, s, destination, 100, 2)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.Distillation<float>(t, s, 100, gradient, temperature: 2, scaleByTemperatureSquared: true)));
    }
}
