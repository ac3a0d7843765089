namespace Losses.Tests;

/// <summary>Half and bfloat16 logits in the evaluation accumulators: bitwise the state of the float path on the widened values.</summary>
public class SixteenBitEvaluationTests
{
    private const int Classes = 300;
    private const int Rows = 1000; // more than one widening block (2¹⁸ elements), with ignored rows and ties (16-bit logits tie often)

    private static (float[] P, float[] Q, long[] Targets) Data()
    {
        var random = new Random(7);
        float[] p = [.. Enumerable.Range(0, Rows * Classes).Select(_ => (float)(random.NextDouble() * 16 - 8))];
        float[] q = [.. p.Select(v => v + (float)(random.NextDouble() - 0.5))];
        long[] t = [.. Enumerable.Range(0, Rows).Select(i => i % 17 == 0 ? -100L : random.Next(Classes))];
        return (p, q, t);
    }

    public static TheoryData<string> Formats => ["Half", "BFloat16"];

    /// <summary>The float values of <paramref name="x"/> rounded to the 16-bit format.</summary>
    private static float[] Widened(float[] x, string format) =>
        format == "Half" ? [.. x.Select(v => (float)(Half)v)] : [.. x.Select(v => (float)(BFloat16)v)];

    private static Half[] ToHalf(float[] x) => [.. x.Select(v => (Half)v)];

    private static BFloat16[] ToBFloat16(float[] x) => [.. x.Select(v => (BFloat16)v)];

    [Theory]
    [MemberData(nameof(Formats))]
    public void PerplexityIsTheFloatPathOnWidenedValues(string format)
    {
        var (p, _, t) = Data();
        var sixteen = new PerplexityAccumulator(Classes) { TopK = [1, 3, 10] };
        if (format == "Half")
        {
            sixteen.Add(ToHalf(p), t, maxDegreeOfParallelism: 2);
        }
        else
        {
            sixteen.Add(ToBFloat16(p), t, maxDegreeOfParallelism: 2);
        }
        var single = new PerplexityAccumulator(Classes) { TopK = [1, 3, 10] };
        single.Add<float>(Widened(p, format), t);
        Assert.Equal(single.ToJson(), sixteen.ToJson());
        Assert.Equal(single.ToState(), sixteen.ToState());
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void ComparisonIsTheFloatPathOnWidenedValues(string format)
    {
        var (p, q, t) = Data();
        var sixteen = new ModelComparison(Classes);
        if (format == "Half")
        {
            sixteen.Add(ToHalf(p), ToHalf(q), t, maxDegreeOfParallelism: 2);
        }
        else
        {
            sixteen.Add(ToBFloat16(p), ToBFloat16(q), t, maxDegreeOfParallelism: 2);
        }
        var single = new ModelComparison(Classes);
        single.Add<float>(Widened(p, format), Widened(q, format), t);
        Assert.Equal(single.ToJson(), sixteen.ToJson());
        Assert.Equal(single.ToState(), sixteen.ToState());
    }

    [Theory]
    [MemberData(nameof(Formats))]
    public void FloatReferenceAgainstSixteenBitModelIsTheFloatPathOnWidenedValues(string format)
    {
        var (p, q, t) = Data();
        q[5] = float.NegativeInfinity; // a masked class of the compared model
        var mixed = new ModelComparison(Classes);
        if (format == "Half")
        {
            mixed.Add(p, ToHalf(q), t, maxDegreeOfParallelism: 2);
        }
        else
        {
            mixed.Add(p, ToBFloat16(q), t, maxDegreeOfParallelism: 2);
        }
        var single = new ModelComparison(Classes);
        single.Add<float>(p, Widened(q, format), t);
        Assert.Equal(single.ToJson(), mixed.ToJson());
        Assert.Equal(single.ToState(), mixed.ToState());
    }

    [Theory]
    [InlineData("Half", 3000)]
    [InlineData("BFloat16", 3000)]
    [InlineData("Half", 5)]
    [InlineData("BFloat16", 5)]
    public void MixedPrecisionRowsOfAnyLengthAreTheFloatPath(string format, int classes)
    {
        // Rows longer than the one-pass kernel's seed (rescaling lanes) and shorter than a vector (scalar path).
        var random = new Random(classes);
        float[] p = [.. Enumerable.Range(0, 7 * classes).Select(i => (float)((random.NextDouble() * 10) + (i % classes * 0.002)))];
        float[] q = [.. p.Select(v => v + (float)(random.NextDouble() - 0.5))];
        long[] t = [.. Enumerable.Range(0, 7).Select(i => (long)random.Next(classes))];
        var mixed = new ModelComparison(classes);
        if (format == "Half")
        {
            mixed.Add(p, ToHalf(q), t);
        }
        else
        {
            mixed.Add(p, ToBFloat16(q), t);
        }
        var single = new ModelComparison(classes);
        single.Add<float>(p, Widened(q, format), t);
        Assert.Equal(single.ToJson(), mixed.ToJson());
    }

    [Fact]
    public void BadMixedPrecisionBatchesNameTheArgumentAndChangeNothing()
    {
        var compare = new ModelComparison(4);
        Assert.Equal("referenceLogits", Assert.Throws<ArgumentException>(() => compare.Add(new float[4], new Half[8], new long[2])).ParamName);
        Assert.Equal("logits", Assert.Throws<ArgumentException>(() => compare.Add(new float[8], new BFloat16[4], new long[2])).ParamName);
        Assert.Contains("targets[1] = 4", Assert.Throws<ArgumentOutOfRangeException>(() => compare.Add(new float[8], new Half[8], [0, 4])).Message, StringComparison.Ordinal);
        Assert.Equal(0, compare.TokenCount);
        Assert.Equal(0, compare.ToResult().IgnoredCount);
    }

    [Fact]
    public void BadSixteenBitBatchesChangeNothing()
    {
        var eval = new PerplexityAccumulator(4);
        Assert.Throws<ArgumentException>(() => eval.Add(new Half[7], new long[2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => eval.Add(new BFloat16[8], [0, 4]));
        var compare = new ModelComparison(4);
        Assert.Throws<ArgumentException>(() => compare.Add(new Half[8], new Half[4], new long[2]));
        Assert.Equal(0, eval.TokenCount);
        Assert.Equal(0, compare.TokenCount);
        Assert.Equal(0, eval.ToResult().IgnoredCount);
    }
}

/// <summary>The evaluation state records: value equality and readable text (the API rules' rule 9).</summary>
public class EvaluationStateRecordTests
{
    [Fact]
    public void StatesOfEqualContentsAreEqualAndPrintTheirNumbers()
    {
        float[] logits = [1, 2, 3, 3, 2, 1];
        var a = new PerplexityAccumulator(3, [1, 2, 0.5]);
        a.Add<float>(logits, [2, 0]);
        var b = new PerplexityAccumulator(3, [1, 2, 0.5]);
        b.Add<float>(logits, [2, 0]);
        Assert.Equal(a.ToState(), b.ToState());
        Assert.Equal(a.ToState().GetHashCode(), b.ToState().GetHashCode());
        Assert.NotSame(a.ToState().Weight, b.ToState().Weight);
        string text = a.ToState().ToString();
        Assert.Contains("Weight = [1, 2, 0.5]", text, StringComparison.Ordinal);
        Assert.Contains("TopK = [1]", text, StringComparison.Ordinal);
        Assert.DoesNotContain("System.", text, StringComparison.Ordinal);

        var c = new ModelComparison(3);
        c.Add<float>(logits, [.. logits.Reverse()], [2, 0]);
        var d = ModelComparison.FromJson(c.ToJson());
        Assert.Equal(c.ToState(), d.ToState());
        Assert.DoesNotContain("System.", c.ToState().ToString(), StringComparison.Ordinal);
        b.Add<float>(logits, [1, 0]);
        Assert.NotEqual(a.ToState(), b.ToState());
    }
}
