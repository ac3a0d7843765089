namespace Losses.Tests;

/// <summary>Empty targets are a batch of zero rows: against logits that hold rows, the row counts disagree (found while adding the fused form).</summary>
public class TokenEmptyTargetsTests
{
    [Fact]
    public void Empty_targets_against_rows_of_logits_are_refused()
    {
        float[] x = new float[10];
        var lp = new float[2];
        var e1 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.Forward<float>(x, ReadOnlySpan<int>.Empty, lp, 5));
        Assert.Equal("targets", e1.ParamName);
        var e2 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.Forward<float>(x, ReadOnlySpan<long>.Empty, lp, 5));
        Assert.Equal("targets", e2.ParamName);
        var e3 = Assert.ThrowsAny<ArgumentException>(() => TokenLogProbabilities.Backward<float>(x, ReadOnlySpan<int>.Empty, default, default, new float[10], 5));
        Assert.Equal("targets", e3.ParamName);
        Assert.All(lp, v => Assert.Equal(0f, v));

        TokenLogProbabilities.Forward<float>([], ReadOnlySpan<int>.Empty, [], 5);   // zero rows of zero logits: nothing to do
    }
}
