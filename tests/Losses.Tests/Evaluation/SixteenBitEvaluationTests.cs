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

    [Fact]
    public void HalfPerplexityIsTheFloatPathOnWidenedValues()
    {
        var (p, _, t) = Data();
        Half[] h = [.. p.Select(v => (Half)v)];
        float[] widened = [.. h.Select(v => (float)v)];
        var half = new PerplexityAccumulator(Classes);
        half.Add(h, t, maxDegreeOfParallelism: 2);
        var single = new PerplexityAccumulator(Classes);
        single.Add<float>(widened, t);
        Assert.Equal(single.ToJson(), half.ToJson());
        Assert.Equal(single.ToState(), half.ToState());

    }

    [Fact]
    public void BFloat16PerplexityIsTheFloatPathOnWidenedValues()
    {
        var (p, _, t) = Data();
        BFloat16[] b = [.. p.Select(v => (BFloat16)v)];
        float[] widened = [.. b.Select(v => (float)v)];
        var bf = new PerplexityAccumulator(Classes) { TopK = [1, 3, 10] };
        bf.Add(b, t);
        var single = new PerplexityAccumulator(Classes) { TopK = [1, 3, 10] };
        single.Add<float>(widened, t);
        Assert.Equal(single.ToJson(), bf.ToJson());
    }

    [Fact]
    public void HalfComparisonIsTheFloatPathOnWidenedValues()
    {
        var (p, q, t) = Data();
        Half[] hp = [.. p.Select(v => (Half)v)];
        Half[] hq = [.. q.Select(v => (Half)v)];
        var half = new ModelComparison(Classes);
        half.Add(hp, hq, t);
        var single = new ModelComparison(Classes);
        single.Add<float>([.. hp.Select(v => (float)v)], [.. hq.Select(v => (float)v)], t);
        Assert.Equal(single.ToJson(), half.ToJson());
        Assert.Equal(single.ToResult().MeanDivergence, half.ToResult().MeanDivergence);
    }

    [Fact]
    public void BFloat16ComparisonIsTheFloatPathOnWidenedValues()
    {
        var (p, q, t) = Data();
        BFloat16[] bp = [.. p.Select(v => (BFloat16)v)];
        BFloat16[] bq = [.. q.Select(v => (BFloat16)v)];
        var bf = new ModelComparison(Classes);
        bf.Add(bp, bq, t, maxDegreeOfParallelism: 2);
        var single = new ModelComparison(Classes);
        single.Add<float>([.. bp.Select(v => (float)v)], [.. bq.Select(v => (float)v)], t);
        Assert.Equal(single.ToJson(), bf.ToJson());
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
