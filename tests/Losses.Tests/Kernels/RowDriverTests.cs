namespace Losses.Tests.Kernels;

/// <summary>The driver's promise: every batched function gives bitwise the same result for any maxDegreeOfParallelism.</summary>
public class RowDriverTests
{
    // Enough rows for several chunks of every row length (chunks hold about 32 K elements).
    private static readonly IReadOnlyList<BatchedFunction> Large = BatchedFunctions.Create(7001);

    public static TheoryData<string> Functions() => [.. BatchedFunctions.All.Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Functions))]
    public void Results_are_bitwise_identical_for_any_thread_count(string name)
    {
        var function = Large.Single(f => f.Name == name);
        float[][] inputs = [.. function.Spans.Select((s, i) => BatchedFunctions.Values(s.Kind, s.Length, 7 + i))];
        (float, float[][]) Run(int threads)
        {
            var spans = function.Spans.Select((s, i) => (Memory<float>)(s.IsOutput ? new float[s.Length] : inputs[i])).ToArray();
            float value = function.Run(spans, threads);
            return (value, [.. spans.Where((_, i) => function.Spans[i].IsOutput).Select(m => m.ToArray())]);
        }
        var (value, outputs) = Run(1);
        foreach (int threads in new[] { 2, 3, -1 })
        {
            var (v, o) = Run(threads);
            Assert.Equal(BitConverter.SingleToInt32Bits(value), BitConverter.SingleToInt32Bits(v));
            for (int k = 0; k < outputs.Length; k++)
            {
                Assert.Equal(outputs[k].Select(BitConverter.SingleToInt32Bits), o[k].Select(BitConverter.SingleToInt32Bits));
            }
        }
    }
}
