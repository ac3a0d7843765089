namespace Losses.Tests;

/// <summary>
/// The overlap rule (Guard.InPlaceOrApart / Guard.Apart), over every public batched function: for every pair of an input
/// and an output, placed at offsets 0, ±1, ±vector width and ±row length from each other, the call either throws an
/// ArgumentException naming both parameters, or gives bitwise the out-of-place result. An overlap that is not exact
/// aliasing always throws.
/// </summary>
public class OverlapRuleTests
{
    private const int Margin = 64;

    public static TheoryData<string> Functions() => [.. BatchedFunctions.All.Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Functions))]
    public void Every_input_output_pair_throws_naming_both_or_equals_out_of_place(string name)
    {
        var function = BatchedFunctions.All.Single(f => f.Name == name);
        SpanSpec[] specs = function.Spans;
        float[][] inputs = [.. specs.Select((s, i) => BatchedFunctions.Values(s.Kind, s.Length, 100 + i))];
        var (expectedValue, expectedOutputs) = RunApart(function, inputs);
        int[] offsets = [0, 1, -1, 16, -16, BatchedFunctions.Classes, -BatchedFunctions.Classes];
        for (int o = 0; o < specs.Length; o++)
        {
            if (!specs[o].IsOutput)
            {
                continue;
            }
            for (int i = 0; i < specs.Length; i++)
            {
                if (i == o || specs[i].IsOutput)
                {
                    continue;
                }
                foreach (int offset in offsets)
                {
                    Check(function, inputs, expectedValue, expectedOutputs, i, o, offset);
                }
            }
        }
    }

    private static (float Value, float[][] Outputs) RunApart(BatchedFunction function, float[][] inputs)
    {
        var spans = function.Spans.Select((s, i) => (Memory<float>)(s.IsOutput ? new float[s.Length] : (float[])inputs[i].Clone())).ToArray();
        float value = function.Run(spans, 1);
        return (value, [.. spans.Select(m => m.ToArray())]);
    }

    private static void Check(BatchedFunction function, float[][] inputs, float expectedValue, float[][] expectedOutputs, int input, int output, int offset)
    {
        SpanSpec[] specs = function.Spans;
        var spans = specs.Select((s, k) => (Memory<float>)(s.IsOutput ? new float[s.Length] : (float[])inputs[k].Clone())).ToArray();

        // One buffer holds the output at Margin and the input at Margin + offset.
        float[] buffer = new float[Margin + Math.Max(specs[output].Length, offset + specs[input].Length) + Margin];
        buffer.AsSpan().Fill(float.NaN);
        inputs[input].CopyTo(buffer, Margin + offset);
        spans[input] = buffer.AsMemory(Margin + offset, specs[input].Length);
        spans[output] = buffer.AsMemory(Margin, specs[output].Length);
        bool overlap = offset < specs[output].Length && -offset < specs[input].Length;
        bool exact = offset == 0 && specs[input].Length == specs[output].Length;
        string what = $"{function.Name}: {specs[input].Name} at {offset} from {specs[output].Name}";
        float value;
        try
        {
            value = function.Run(spans, 1);
        }
        catch (ArgumentException e) when (e is not ArgumentOutOfRangeException)
        {
            Assert.True(overlap, $"{what}: threw without an overlap: {e.Message}");
            Assert.Contains(specs[input].Name, e.Message, StringComparison.Ordinal);
            Assert.Contains(specs[output].Name, e.Message, StringComparison.Ordinal);
            return;
        }
        Assert.False(overlap && !exact, $"{what}: a partial overlap did not throw");
        Assert.True(BitConverter.SingleToInt32Bits(expectedValue) == BitConverter.SingleToInt32Bits(value), $"{what}: returned {value}, out of place {expectedValue}");
        for (int k = 0; k < specs.Length; k++)
        {
            if (specs[k].IsOutput)
            {
                float[] actual = spans[k].ToArray();
                for (int j = 0; j < actual.Length; j++)
                {
                    Assert.True(BitConverter.SingleToInt32Bits(expectedOutputs[k][j]) == BitConverter.SingleToInt32Bits(actual[j]),
                        $"{what}: {specs[k].Name}[{j}] = {actual[j]}, out of place {expectedOutputs[k][j]}");
                }
            }
        }
    }
}
