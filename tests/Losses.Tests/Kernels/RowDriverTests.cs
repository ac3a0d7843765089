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

    // Long rows: few chunks of whole rows (1000 classes: 32 rows a chunk; 40000: one row a chunk), shared out between
    // the driver's worker threads.
    [Theory]
    [InlineData(300, 1000)]
    [InlineData(5, 40000)]
    public void Long_rows_are_bitwise_identical_for_any_thread_count(int rows, int classes)
    {
        var (logits, targets) = LongRows(rows, classes);
        var reference = LongRowResults(logits, targets, classes, 1);
        foreach (int threads in new[] { 2, 3, -1 })
        {
            Assert.Equal(reference, LongRowResults(logits, targets, classes, threads));
        }
    }

    // Calls from several threads at once: one of them has the workers, the others fall back to Parallel.For; every call
    // gives the one-thread bits.
    [Fact]
    public void Concurrent_multi_threaded_calls_give_the_one_thread_bits()
    {
        const int rows = 64;
        const int classes = 2000;
        var (logits, targets) = LongRows(rows, classes);
        var reference = LongRowResults(logits, targets, classes, 1);
        var results = new int[8][][];
        Parallel.For(0, results.Length, new ParallelOptions { MaxDegreeOfParallelism = 8 }, i =>
        {
            for (int repeat = 0; repeat < 5; repeat++)
            {
                results[i] = LongRowResults(logits, targets, classes, 2);
            }
        });
        foreach (var result in results)
        {
            Assert.Equal(reference, result);
        }
    }

    private static (float[] Logits, int[] Targets) LongRows(int rows, int classes)
    {
        var random = new Random(rows + classes);
        float[] logits = [.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 20) - 10))];
        int[] targets = [.. Enumerable.Range(0, rows).Select(r => r % 5 == 2 ? -100 : (r * 7919) % classes)];
        return (logits, targets);
    }

    /// <summary>Cross-entropy forward (mean, per-row losses, with a gradient) and log-sum-exp, as bits.</summary>
    private static int[][] LongRowResults(float[] logits, int[] targets, int classes, int threads)
    {
        int rows = targets.Length;
        float mean = CrossEntropy.Forward<float>(logits, targets, classes, maxDegreeOfParallelism: threads);
        float[] losses = new float[rows];
        CrossEntropy.Forward<float>(logits, targets, classes, reduction: Reduction.None, losses: losses, maxDegreeOfParallelism: threads);
        float[] gradient = new float[logits.Length];
        float withGradient = CrossEntropy.Forward<float>(logits, targets, classes, gradient, maxDegreeOfParallelism: threads);
        float[] lse = new float[rows];
        LogSumExp.Forward<float>(logits, lse, classes, threads);
        static int[] Bits(IEnumerable<float> values) => [.. values.Select(BitConverter.SingleToInt32Bits)];
        return [Bits([mean, withGradient]), Bits(losses), Bits(gradient), Bits(lse)];
    }
}
