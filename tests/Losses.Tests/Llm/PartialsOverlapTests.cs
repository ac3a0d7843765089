using System.Runtime.InteropServices;

namespace Losses.Tests.Llm;

/// <summary>
/// The overlap rule for the per-row partial states, whose element type differs from the logits': partials written by a
/// forward never overlap its inputs or the stored exps, and partials read by a backward, a loss or the token functions
/// never overlap what those write. Each case throws naming both spans, before anything is written.
/// </summary>
public class PartialsOverlapTests
{
    private const int Rows = 2;
    private const int Classes = 40; // 2 rows × 40 floats = 320 bytes ≥ 2 partials (144 bytes)

    private static float[] Logits() => [.. Enumerable.Range(0, Rows * Classes).Select(i => (float)Math.Sin(i))];

    [Fact]
    public void Forward_partials_written_over_the_logits_or_the_stored_exps_throw()
    {
        float[] x = Logits();
        float[] before = (float[])x.Clone();
        var e = Assert.Throws<ArgumentException>(() =>
            CrossEntropySlices.Forward<float>(x, [1, 2], MemoryMarshal.Cast<float, VocabularyPartial>(x.AsSpan())[..Rows], Classes, 0, Classes));
        Assert.Contains("logits", e.Message);
        Assert.Contains("partials", e.Message);
        Assert.Equal(before, x);

        var g = new float[Rows * Classes];
        e = Assert.Throws<ArgumentException>(() =>
            CrossEntropySlices.Forward<float>(x, [1, 2], MemoryMarshal.Cast<float, VocabularyPartial>(g.AsSpan())[..Rows], g, Classes, 0, Classes));
        Assert.Contains("gradient", e.Message);
        Assert.All(g, v => Assert.Equal(0f, v));
    }

    [Fact]
    public void Partials_read_while_the_gradient_or_the_losses_are_written_throw()
    {
        float[] x = Logits();
        var slice = new VocabularyPartial[Rows];
        var g = new float[Rows * Classes];
        CrossEntropySlices.Forward<float>(x, [1, 2], slice, g, Classes, 0, Classes);
        var combined = (VocabularyPartial[])slice.Clone();

        // Partials living inside the gradient buffer (as a caller reusing one arena might lay them out).
        var arena = new float[Rows * Classes];
        g.CopyTo(arena, 0);
        Span<VocabularyPartial> inside = MemoryMarshal.Cast<float, VocabularyPartial>(arena.AsSpan())[..Rows];
        combined.CopyTo(inside);
        float[] arenaBefore = (float[])arena.Clone();
        var e = Assert.Throws<ArgumentException>(() =>
        {
            ReadOnlySpan<VocabularyPartial> p = MemoryMarshal.Cast<float, VocabularyPartial>(arena.AsSpan())[..Rows];
            CrossEntropySlices.Backward<float>(x, slice, p, arena, Classes, 0, Classes);
        });
        Assert.Contains("partials", e.Message);
        Assert.Contains("gradient", e.Message);
        Assert.Equal(arenaBefore, arena);

        var losses = new float[Rows * Classes];
        MemoryMarshal.Cast<VocabularyPartial, float>(combined.AsSpan()).CopyTo(losses);
        e = Assert.Throws<ArgumentException>(() =>
            CrossEntropySlices.Loss<float>(MemoryMarshal.Cast<float, VocabularyPartial>(losses.AsSpan())[..Rows], Classes, Reduction.None, losses));
        Assert.Contains("losses", e.Message);

        var logProbabilities = new float[Rows * Classes];
        MemoryMarshal.Cast<VocabularyPartial, float>(combined.AsSpan()).CopyTo(logProbabilities);
        e = Assert.Throws<ArgumentException>(() =>
            TokenLogProbabilities.FromPartials<float>(MemoryMarshal.Cast<float, VocabularyPartial>(logProbabilities.AsSpan())[..Rows], logProbabilities, Classes));
        Assert.Contains("logProbabilities", e.Message);
    }
}
