namespace Losses.Tests;

/// <summary>
/// Numerical stability of every public batched function, on both the rows-in-lanes block path (the first whole blocks of
/// rows) and the row path (the last rows): a NaN or a masked (−∞) entry, or a fully masked row, changes nothing outside
/// its row; adding ±1e4 to every logit changes nothing where the function is shift invariant.
/// </summary>
public class RowStabilityTests
{
    private const int Classes = BatchedFunctions.Classes;
    private const int BlockRow = 5;
    private const int TailRow = BatchedFunctions.Rows - 1;

    public static TheoryData<string> Functions() => [.. BatchedFunctions.All.Select(f => f.Name)];

    public static TheoryData<string> ShiftInvariant() => [.. BatchedFunctions.All.Where(f => f.ShiftInvariant).Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Functions))]
    public void NaN_stays_in_its_row(string name) =>
        Isolated(name, (x, row) => x[(row * Classes) + 3] = float.NaN);

    [Theory]
    [MemberData(nameof(Functions))]
    public void Masked_entries_stay_in_their_row(string name) =>
        Isolated(name, (x, row) => x[(row * Classes) + 7] = float.NegativeInfinity);

    [Theory]
    [MemberData(nameof(Functions))]
    public void A_fully_masked_row_stays_in_its_row(string name) =>
        Isolated(name, (x, row) => x.AsSpan(row * Classes, Classes).Fill(float.NegativeInfinity));

    [Theory]
    [MemberData(nameof(ShiftInvariant))]
    public void Logits_shifted_by_1e4_give_the_same_result(string name)
    {
        var function = BatchedFunctions.All.Single(f => f.Name == name);

        // Multiples of 1/8 in [−4, 4]: x ± 1e4 is exact in float, so any difference would be the function's own.
        float[][] inputs = [.. function.Spans.Select((s, i) => s.Kind == SpanKind.Logits
            ? [.. BatchedFunctions.Values(s.Kind, s.Length, 3 + i).Select(v => MathF.Round(v * 8) / 8)]
            : BatchedFunctions.Values(s.Kind, s.Length, 3 + i))];
        float[][] expected = Outputs(function, inputs);
        foreach (float shift in new[] { 1e4f, -1e4f })
        {
            float[][] shifted = [.. inputs.Select((v, i) => function.Spans[i].Kind == SpanKind.Logits ? [.. v.Select(x => x + shift)] : v)];
            float[][] actual = Outputs(function, shifted);
            for (int k = 0; k < expected.Length; k++)
            {
                Approx.Equal<float>(expected[k], actual[k], 2e-6, 1e-6, $"{name} shifted by {shift}, output {k}");
            }
        }
    }

    private static void Isolated(string name, Action<float[], int> spoil)
    {
        var function = BatchedFunctions.All.Single(f => f.Name == name);
        float[][] clean = [.. function.Spans.Select((s, i) => BatchedFunctions.Values(s.Kind, s.Length, 11 + i))];
        float[][] expected = Outputs(function, clean);
        for (int input = 0; input < function.Spans.Length; input++)
        {
            SpanSpec spec = function.Spans[input];
            if (spec.IsOutput || spec.Length != BatchedFunctions.Rows * Classes || spec.Kind is SpanKind.Probabilities or SpanKind.UnitInterval or SpanKind.Weights)
            {
                continue;
            }
            float[][] spoiled = [.. clean.Select(v => (float[])v.Clone())];
            spoil(spoiled[input], BlockRow);
            spoil(spoiled[input], TailRow);
            float[][] actual;
            try
            {
                actual = Outputs(function, spoiled);
            }
            catch (ArgumentOutOfRangeException)
            {
                continue; // the function rejects the value (e.g. NaN log-probabilities), which is isolation too
            }
            for (int k = 0; k < expected.Length; k++)
            {
                int perRow = expected[k].Length / BatchedFunctions.Rows;
                for (int j = 0; j < expected[k].Length; j++)
                {
                    int row = j / perRow;
                    if (row != BlockRow && row != TailRow)
                    {
                        Assert.True(BitConverter.SingleToInt32Bits(expected[k][j]) == BitConverter.SingleToInt32Bits(actual[k][j]),
                            $"{name}: spoiling {spec.Name} in rows {BlockRow} and {TailRow} changed output {k}[{j}] (row {row}) from {expected[k][j]} to {actual[k][j]}");
                    }
                }
            }
        }
    }

    private static float[][] Outputs(BatchedFunction function, float[][] inputs)
    {
        var spans = function.Spans.Select((s, i) => (Memory<float>)(s.IsOutput ? new float[s.Length] : inputs[i])).ToArray();
        function.Run(spans, 1);
        return [.. spans.Where((_, i) => function.Spans[i].IsOutput).Select(m => m.ToArray())];
    }
}
