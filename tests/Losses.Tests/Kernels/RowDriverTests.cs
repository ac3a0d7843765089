using System.Numerics;

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

/// <summary>
/// On the row path (rows longer than the block path's, which sums a row in another order), cross-entropy and log-sum-exp
/// give each row of a batch the bits it has alone: odd row counts, ignored targets beside kept ones, special values
/// (NaN, masked, all masked, +∞, 1e4) in some rows, up to beyond the normalizer's seed length.
/// </summary>
public class RowInBatchTests
{
    public static TheoryData<int, int> Shapes() => new() { { 7, 129 }, { 5, 300 }, { 9, 1000 }, { 3, 2048 }, { 3, 2049 } };

    private static T[] Logits<T>(int rows, int classes)
        where T : IFloatingPointIeee754<T>
    {
        var random = new Random(rows * 7919 + classes);
        var x = new T[rows * classes];
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = T.CreateTruncating((random.NextDouble() * 12) - 6);
        }
        // Row 1: a NaN; row 2: masked entries and a +1e4 spike; row 3 (if any): all masked; row 4: +∞.
        x[classes + (classes / 2)] = T.NaN;
        for (int k = 0; k < classes; k += 3)
        {
            x[(2 * classes) + k] = T.NegativeInfinity;
        }
        x[(2 * classes) + 1] = T.CreateTruncating(1e4);
        if (rows > 3)
        {
            x.AsSpan(3 * classes, classes).Fill(T.NegativeInfinity);
        }
        if (rows > 4)
        {
            x[(4 * classes) + 5] = T.PositiveInfinity;
        }
        return x;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Cross_entropy_rows_in_a_batch_have_their_bits_alone(int rows, int classes)
    {
        Check<float>(rows, classes);
        Check<double>(rows, classes);

        static void Check<T>(int rows, int classes)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] x = Logits<T>(rows, classes);
            int[] targets = [.. Enumerable.Range(0, rows).Select(r => r % 4 == 1 ? -100 : (r * 37) % classes)];
            targets[2] = 1;
            T[] weight = [.. Enumerable.Range(0, classes).Select(k => T.CreateTruncating(0.5 + (k % 5)))];
            foreach ((bool weighted, double smoothing, double zLoss) in new[] { (false, 0.0, 0.0), (true, 0.0, 1e-4), (true, 0.1, 0.0) })
            {
                var batch = new T[rows];
                CrossEntropy.Forward<T>(x, targets, classes, reduction: Reduction.None, losses: batch,
                    weight: weighted ? weight : default, labelSmoothing: smoothing, zLoss: zLoss);
                for (int r = 0; r < rows; r++)
                {
                    var alone = new T[1];
                    CrossEntropy.Forward<T>(x.AsSpan(r * classes, classes), targets.AsSpan(r, 1), classes, reduction: Reduction.None,
                        losses: alone, weight: weighted ? weight : default, labelSmoothing: smoothing, zLoss: zLoss);
                    Assert.True(alone[0].Equals(batch[r]) || (T.IsNaN(alone[0]) && T.IsNaN(batch[r])), $"row {r} ({typeof(T).Name}, weighted {weighted}, smoothing {smoothing}, z {zLoss}): {batch[r]} in the batch, {alone[0]} alone");
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Log_sum_exp_rows_in_a_batch_have_their_bits_alone(int rows, int classes)
    {
        Check<float>(rows, classes);
        Check<double>(rows, classes);

        static void Check<T>(int rows, int classes)
            where T : unmanaged, IFloatingPointIeee754<T>
        {
            T[] x = Logits<T>(rows, classes);
            var batch = new T[rows];
            LogSumExp.Forward<T>(x, batch, classes);
            for (int r = 0; r < rows; r++)
            {
                T alone = LogSumExp.Forward<T>(x.AsSpan(r * classes, classes));
                var one = new T[1];
                LogSumExp.Forward<T>(x.AsSpan(r * classes, classes), one, classes);
                Assert.True(one[0].Equals(batch[r]) || (T.IsNaN(one[0]) && T.IsNaN(batch[r])), $"row {r}: {batch[r]} in the batch, {one[0]} alone");
                Assert.True(alone.Equals(batch[r]) || (T.IsNaN(alone) && T.IsNaN(batch[r])), $"row {r}: {batch[r]} in the batch, {alone} from the span overload");
            }
        }
    }
}
