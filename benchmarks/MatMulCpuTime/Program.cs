// Thread-CPU-time harness for MatrixMultiply and LinearCrossEntropy (float, one thread), for a shared machine: wall-clock
// time of anything longer than a scheduling quantum measures the machine's load, not the code, so each measurement here
// is the calling thread's CPU time (clock_gettime(CLOCK_THREAD_CPUTIME_ID)), best of several, with a 12-chain Vector512
// FMA peak measured before each repetition. Not part of the solution; run with
//   DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/MatMulCpuTime -- 256,512,1024,512x32000x256
//   DOTNET_TieredCompilation=0 dotnet run -c Release --project benchmarks/MatMulCpuTime -- lm 512x256x32000 2048x512x32000
// Shapes are m x n x k (GEMM) or tokens x hidden x vocabulary (lm). The 2-thread figures of "lm" are wall-clock (best of
// LM_REPETITIONS, default 4), with the process CPU time of the 2-thread call and the wall-clock scaling of independent FMA
// chains on 2 threads in the same run (what the machine gives a second thread at that moment). "lm" also times
// LinearTokenLogProbabilities (Forward, and Backward with its log-probabilities and entropies) against the loss.
using System.Diagnostics;
using System.Runtime.Intrinsics;
if (args.Length > 0 && args[0] == "lm") { LmHead.Run(args.Skip(1).ToArray()); return; }
{
    int threads = args.Length > 1 ? int.Parse(args[1]) : 1;
    foreach (var s in (args.Length > 0 ? args[0] : "256,512,1024").Split(','))
    {
        int m, n, k;
        var parts = s.Split('x');
        if (parts.Length == 3) { m = int.Parse(parts[0]); n = int.Parse(parts[1]); k = int.Parse(parts[2]); }
        else { m = n = k = int.Parse(s); }
        var r = new Random(1);
        float[] a = new float[m * k], b = new float[n * k], c = new float[m * n];
        for (int i = 0; i < a.Length; i++) a[i] = (float)r.NextDouble();
        for (int i = 0; i < b.Length; i++) b[i] = (float)r.NextDouble();
        foreach (var layout in new[] { "ABt", "AB", "AtB" })
        {
            double best = double.MaxValue; double peak = 0;
            for (int rep = 0; rep < 15; rep++)
            {
                peak = Math.Max(peak, Peak.Measure());
                var sw = CpuClock.StartNew();
                int inner = Math.Max(1, (int)(2e8 / (2.0 * m * n * k)));
                for (int q = 0; q < inner; q++)
                {
                    switch (layout)
                    {
                        case "AB": Losses.MatrixMultiply.Multiply<float>(a, b, c, m, n, k); break;
                        case "ABt": Losses.MatrixMultiply.MultiplyTransposedB<float>(a, b, c, m, n, k); break;
                        default: Losses.MatrixMultiply.MultiplyTransposedA<float>(a, b, c, m, n, k); break;
                    }
                }
                best = Math.Min(best, sw.Elapsed.TotalSeconds / inner);
            }
            double g = 2.0 * m * n * k / best / 1e9;
            Console.WriteLine($"{s} {layout}: {g:F1} GFLOP/s, peak {peak:F1}, ratio {g / peak:P0}");
        }
    }
    Console.WriteLine($"peak: {Peak.Measure():F1} GFLOP/s");
}

static class Peak
{
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    static float Chains(long iters)
    {
        var x = Vector512.Create(1.0001f); var y = Vector512.Create(0.9999f);
        Vector512<float> c0 = default, c1 = default, c2 = default, c3 = default, c4 = default, c5 = default, c6 = default, c7 = default, c8 = default, c9 = default, c10 = default, c11 = default;
        for (long i = 0; i < iters; i++)
        {
            c0 = Vector512.FusedMultiplyAdd(x, y, c0); c1 = Vector512.FusedMultiplyAdd(x, y, c1); c2 = Vector512.FusedMultiplyAdd(x, y, c2); c3 = Vector512.FusedMultiplyAdd(x, y, c3);
            c4 = Vector512.FusedMultiplyAdd(x, y, c4); c5 = Vector512.FusedMultiplyAdd(x, y, c5); c6 = Vector512.FusedMultiplyAdd(x, y, c6); c7 = Vector512.FusedMultiplyAdd(x, y, c7);
            c8 = Vector512.FusedMultiplyAdd(x, y, c8); c9 = Vector512.FusedMultiplyAdd(x, y, c9); c10 = Vector512.FusedMultiplyAdd(x, y, c10); c11 = Vector512.FusedMultiplyAdd(x, y, c11);
        }
        return (c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11)[0];
    }
    /// <summary>Wall time of the same chains on <paramref name="threads"/> threads at once (each runs the whole count).</summary>
    public static double Wall(int threads)
    {
        var sw = Stopwatch.StartNew();
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ => Chains(2_000_000));
        return sw.Elapsed.TotalSeconds;
    }
    public static double Measure()
    {
        long iters = 1_000_000; double best = double.MaxValue;
        for (int rep = 0; rep < 2; rep++) { var sw = CpuClock.StartNew(); Chains(iters); best = Math.Min(best, sw.Elapsed.TotalSeconds); }
        return iters * 12 * 32 / best / 1e9;
    }
}

/// <summary>CPU time of the whole process (all threads): clock_gettime(CLOCK_PROCESS_CPUTIME_ID).</summary>
sealed class ProcessClock
{
    [System.Runtime.InteropServices.DllImport("libc")] static extern int clock_gettime(int id, out TimeSpec ts);
    struct TimeSpec { public long Seconds; public long Nanoseconds; }
    static double Now() { clock_gettime(2, out var ts); return ts.Seconds + ts.Nanoseconds * 1e-9; }
    readonly double _start = Now();
    public static ProcessClock StartNew() => new();
    public TimeSpan Elapsed => TimeSpan.FromSeconds(Now() - _start);
}

sealed class CpuClock
{
    [System.Runtime.InteropServices.DllImport("libc")] static extern int clock_gettime(int id, out TimeSpec ts);
    struct TimeSpec { public long Seconds; public long Nanoseconds; }
    static double Now() { clock_gettime(3, out var ts); return ts.Seconds + ts.Nanoseconds * 1e-9; }
    readonly double _start = Now();
    public static CpuClock StartNew() => new();
    public TimeSpan Elapsed => TimeSpan.FromSeconds(Now() - _start);
}

static class LmHead
{
    static int Repetitions => int.TryParse(Environment.GetEnvironmentVariable("LM_REPETITIONS"), out int n) ? n : 4;

    public static void Run(string[] shapes)
    {
        foreach (var shape in shapes)
        {
            int[] s = shape.Split('x').Select(int.Parse).ToArray();
            int tokens = s[0], hidden = s[1], vocab = s[2];
            var r = new Random(42);
            float[] h = Enumerable.Range(0, tokens * hidden).Select(_ => (float)(r.NextDouble() * 2 - 1)).ToArray();
            float[] w = Enumerable.Range(0, vocab * hidden).Select(_ => (float)((r.NextDouble() * 2 - 1) * 0.05)).ToArray();
            float[] b = new float[vocab];
            int[] t = Enumerable.Range(0, tokens).Select(_ => r.Next(vocab)).ToArray();
            float[] dh = new float[h.Length], dw = new float[w.Length], db = new float[vocab];
            int chunk = Math.Min(tokens, Losses.LinearCrossEntropy.DefaultMaxBufferElements / (vocab + 1)) & ~15;
            float[] buffer = new float[chunk * vocab];
            void Products(int threads = 1)
            {
                for (int start = 0; start < tokens; start += chunk)
                {
                    int rows = Math.Min(chunk, tokens - start);
                    var x = h.AsSpan(start * hidden, rows * hidden);
                    var g = buffer.AsSpan(0, rows * vocab);
                    Losses.MatrixMultiply.MultiplyTransposedB<float>(x, w, g, rows, vocab, hidden, maxDegreeOfParallelism: threads);
                    Losses.MatrixMultiply.Multiply<float>(g, w, dh.AsSpan(start * hidden, rows * hidden), rows, hidden, vocab, maxDegreeOfParallelism: threads);
                    Losses.MatrixMultiply.MultiplyTransposedA<float>(g, x, dw, vocab, hidden, rows, accumulate: start > 0, maxDegreeOfParallelism: threads);
                }
            }
            void Fused(int threads) => Losses.LinearCrossEntropy.Forward<float>(h, w, t, hidden, vocab, b, dh, dw, db, maxDegreeOfParallelism: threads);
            float[] lp = new float[tokens], entropy = new float[tokens], alpha = new float[tokens], beta = new float[tokens];
            for (int i = 0; i < tokens; i++) { alpha[i] = (float)(r.NextDouble() - 0.5); beta[i] = -0.01f; }
            void TokenForward() => Losses.LinearTokenLogProbabilities.Forward<float>(h, w, t, lp, hidden, vocab, entropy, b);
            void TokenBackward(int threads) => Losses.LinearTokenLogProbabilities.Backward<float>(h, w, t, alpha, beta, hidden, vocab, b, dh, dw, db, lp, entropy,
                maxDegreeOfParallelism: threads);
            // first call: allocation
            long before = GC.GetTotalAllocatedBytes(true);
            long ws0 = Environment.WorkingSet;
            Fused(1);
            long allocated = GC.GetTotalAllocatedBytes(true) - before;
            Console.WriteLine($"{shape}: first fused call allocated {allocated / 1e6:F1} MB (buffer {chunk * (vocab + 1) * 4 / 1e6:F1} MB, materialised logits+gradient {2.0 * tokens * vocab * 4 / 1e6:F1} MB), working set +{(Environment.WorkingSet - ws0) / 1e6:F1} MB");
            TokenForward(); TokenBackward(1); TokenBackward(2); Fused(2);
            double bestP = double.MaxValue, bestF = double.MaxValue, bestTf = double.MaxValue, bestTb = double.MaxValue;
            double wallF1 = double.MaxValue, wallF2 = double.MaxValue, wallT1 = double.MaxValue, wallT2 = double.MaxValue, cpuF2 = double.MaxValue;
            double peak1 = double.MaxValue, peak2 = double.MaxValue, wallP1 = double.MaxValue, wallP2 = double.MaxValue;
            for (int rep = 0; rep < Repetitions; rep++)
            {
                var c = CpuClock.StartNew(); Products(); bestP = Math.Min(bestP, c.Elapsed.TotalSeconds);
                c = CpuClock.StartNew(); TokenForward(); bestTf = Math.Min(bestTf, c.Elapsed.TotalSeconds);
                c = CpuClock.StartNew(); TokenBackward(1); bestTb = Math.Min(bestTb, c.Elapsed.TotalSeconds);
                var sw = Stopwatch.StartNew();
                c = CpuClock.StartNew(); Fused(1); bestF = Math.Min(bestF, c.Elapsed.TotalSeconds); wallF1 = Math.Min(wallF1, sw.Elapsed.TotalSeconds);
                var process = ProcessClock.StartNew();
                sw.Restart(); Fused(2); wallF2 = Math.Min(wallF2, sw.Elapsed.TotalSeconds); cpuF2 = Math.Min(cpuF2, process.Elapsed.TotalSeconds);
                sw.Restart(); TokenBackward(1); wallT1 = Math.Min(wallT1, sw.Elapsed.TotalSeconds);
                sw.Restart(); TokenBackward(2); wallT2 = Math.Min(wallT2, sw.Elapsed.TotalSeconds);
                sw.Restart(); Products(1); wallP1 = Math.Min(wallP1, sw.Elapsed.TotalSeconds);
                sw.Restart(); Products(2); wallP2 = Math.Min(wallP2, sw.Elapsed.TotalSeconds);
                peak1 = Math.Min(peak1, Peak.Wall(1)); peak2 = Math.Min(peak2, Peak.Wall(2));
            }
            double flops = 6.0 * tokens * hidden * vocab;
            Console.WriteLine($"{shape}: products {bestP * 1e3:F0} ms CPU ({flops / bestP / 1e9:F0} GFLOP/s), fused {bestF * 1e3:F0} ms CPU, ratio {bestF / bestP:F2}");
            Console.WriteLine($"{shape}: token log-probs forward {bestTf * 1e3:F0} ms CPU ({bestTf / bestF:F2}× the loss fwd+bwd), backward (fwd+bwd in one call) {bestTb * 1e3:F0} ms CPU ({bestTb / bestF:F2}× the loss fwd+bwd, {bestTb / bestP:F2}× the products)");
            Console.WriteLine($"{shape}: wall, best of {Repetitions}: loss 1 thread {wallF1 * 1e3:F0} ms, 2 threads {wallF2 * 1e3:F0} ms (process CPU {cpuF2 * 1e3:F0} ms = {cpuF2 / bestF:F2}× one thread's), speed-up {wallF1 / wallF2:F2}; token backward 1 thread {wallT1 * 1e3:F0} ms, 2 threads {wallT2 * 1e3:F0} ms, speed-up {wallT1 / wallT2:F2}; the three products alone {wallP1 * 1e3:F0} / {wallP2 * 1e3:F0} ms, speed-up {wallP1 / wallP2:F2}; FMA chains on 2 threads vs 1 (the machine's share now): {2 * peak1 / peak2:F2}×");
            Console.WriteLine($"load average: {File.ReadAllText("/proc/loadavg").Trim()}");
        }
    }
}
