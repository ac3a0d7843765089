namespace Losses.Tests.Kernels;

/// <summary>
/// The online normalizer on rows longer than its seeded prefix (2048 elements), where a lane's maximum can rise after the
/// seed and the sum is rescaled: against a log-sum-exp in double, and its special values. CI runs these at every width.
/// </summary>
public class NormalizerTests
{
    private static float[] Row(int length, Func<int, float> value)
    {
        var row = new float[length];
        for (int i = 0; i < length; i++)
        {
            row[i] = value(i);
        }
        return row;
    }

    private static double ReferenceLogSumExp(float[] row)
    {
        double max = row.Max(v => (double)v);
        return max + Math.Log(row.Sum(v => Math.Exp(v - max)));
    }

    public static TheoryData<string> Shapes() => ["ascending", "spike after the seed", "jump of 200 after the seed", "noise", "descending", "masked with -1e30"];

    private static float[] Make(string shape, int length)
    {
        var random = new Random(7);
        return shape switch
        {
            "ascending" => Row(length, i => i * 0.01f),
            "spike after the seed" => Row(length, i => i == length - 37 ? 80f : (float)((random.NextDouble() * 20) - 10)),
            "jump of 200 after the seed" => Row(length, i => (i < 2100 ? 0f : 200f) + (float)random.NextDouble()),
            "noise" => Row(length, i => (float)((random.NextDouble() * 20) - 10)),
            "descending" => Row(length, i => -i * 0.01f),
            _ => Row(length, i => i % 3 == 0 ? -1e30f : (float)random.NextDouble() + (i * 1e-3f)),
        };
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Long_rows_match_a_double_reference(string shape)
    {
        foreach (int length in new[] { 33, 1000, 2047, 2048, 2049, 2063, 5000, 32001 })
        {
            float[] row = Make(shape, length);
            double expected = ReferenceLogSumExp(row);
            float lse = SoftmaxNormalizer.Of<float>(row).LogSumExp;
            Assert.True(Math.Abs(lse - expected) <= 4 * Math.Max(1, Math.Abs(expected)) * 1.2e-7,
                $"{shape}, {length}: {lse} vs {expected}");

            // Per-row LogSumExp and CrossEntropy run the same normalizer through the driver.
            var output = new float[1];
            LogSumExp.Forward<float>(row, output, length);
            Assert.Equal(lse, output[0]);
            float loss = CrossEntropy.Forward<float>(row, [length / 2], length);
            Assert.True(Math.Abs(loss - (expected - row[length / 2])) <= 4e-7 * Math.Max(1, Math.Abs(expected - row[length / 2])) + 1e-6,
                $"{shape}, {length}: loss {loss} vs {expected - row[length / 2]}");
        }
    }

    [Theory]
    [InlineData(100)]
    [InlineData(2040)]
    [InlineData(2100)]
    [InlineData(4999)]
    public void Special_values_before_and_after_the_seed(int at)
    {
        float[] row = Make("noise", 5000);
        row[at] = float.NaN;
        Assert.True(float.IsNaN(SoftmaxNormalizer.Of<float>(row).LogSumExp));
        row[at] = float.PositiveInfinity;
        Assert.Equal(float.PositiveInfinity, SoftmaxNormalizer.Of<float>(row).LogSumExp);
        row[at] = float.NegativeInfinity;
        float withoutAt = SoftmaxNormalizer.Of<float>(row).LogSumExp;
        Assert.True(float.IsFinite(withoutAt));
        Assert.True(Math.Abs(withoutAt - ReferenceLogSumExp(row.Where(float.IsFinite).ToArray())) < 1e-5);
        Assert.Equal(float.NegativeInfinity, SoftmaxNormalizer.Of<float>(Row(5000, _ => float.NegativeInfinity)).LogSumExp);
    }

    [Fact]
    public void Double_rows_longer_than_the_seed_match_the_reference()
    {
        double[] row = [.. Make("ascending", 5000).Select(v => (double)v)];
        double max = row.Max();
        double expected = max + Math.Log(row.Sum(v => Math.Exp(v - max)));
        Assert.True(Approx.Ulps(expected, SoftmaxNormalizer.Of<double>(row).LogSumExp) <= 4);
    }
}
