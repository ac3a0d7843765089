using System.Diagnostics;
using System.Runtime;

namespace Losses.Benchmarks.Ratio;

/// <summary>The outcome of one alternating measurement: the distribution of candidate/baseline time ratios.</summary>
/// <param name="Alternations">How many (candidate, baseline) pairs were timed.</param>
/// <param name="Median">Median of the per-alternation ratios candidate time / baseline time.</param>
/// <param name="Q1">First quartile of the ratios.</param>
/// <param name="Q3">Third quartile of the ratios.</param>
/// <param name="CandidateNsPerElement">Median candidate time per call divided by rows × classes.</param>
/// <param name="BaselineNsPerElement">Median baseline time per call divided by rows × classes.</param>
internal readonly record struct RatioResult(int Alternations, double Median, double Q1, double Q3, double CandidateNsPerElement, double BaselineNsPerElement);

/// <summary>
/// Runs a candidate and its baseline alternately in one process: after a warm-up long enough for tier-1 code, each
/// alternation times the candidate and the baseline back to back, three rounds (order flipped every round, so a slow
/// drift of the machine biases neither), each block over enough repetitions to last about 1 ms, and keeps the ratio of
/// the fastest block of each. A noisy neighbour
/// slows both halves of an alternation or spoils only a few alternations; the median of many ratios holds still where
/// a mean of absolute times does not.
/// </summary>
internal static class RatioRunner
{
    /// <summary>How long one timed block lasts: long enough to dwarf the Stopwatch, short enough to dodge most preemption.</summary>
    private const double BlockSeconds = 0.001;

    /// <summary>
    /// Blocks of each side per alternation; the alternation keeps the fastest block of each. Preemption only ever adds
    /// time, and with ten runnable processes on two cores most 2 ms stretches are interrupted somewhere: the minimum of
    /// three interleaved 1 ms blocks is usually a clean one, and the median over alternations discards the rest.
    /// </summary>
    private const int RoundsPerAlternation = 3;

    /// <summary>Fewest alternations whatever the time budget, so that quartiles mean something.</summary>
    private const int MinimumAlternations = 21;

    public static RatioResult Measure(Operation candidate, Operation baseline, Workload workload, double seconds)
    {
        Action a = candidate.Bind(workload), b = baseline.Bind(workload);
        WarmUp(a, b, Math.Clamp(seconds / 5, 0.3, 1.0));
        int repsA = Repetitions(a), repsB = Repetitions(b);
        var ratios = new List<double>();
        var timesA = new List<double>();
        var timesB = new List<double>();
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds || ratios.Count < MinimumAlternations)
        {
            double ta = double.MaxValue, tb = double.MaxValue;
            for (int round = 0; round < RoundsPerAlternation; round++)
            {
                if (((ratios.Count + round) & 1) == 0)
                {
                    ta = Math.Min(ta, Time(a, repsA));
                    tb = Math.Min(tb, Time(b, repsB));
                }
                else
                {
                    tb = Math.Min(tb, Time(b, repsB));
                    ta = Math.Min(ta, Time(a, repsA));
                }
            }
            ratios.Add(ta / tb);
            timesA.Add(ta);
            timesB.Add(tb);
        }
        ratios.Sort();
        double perElement = 1e9 / workload.Elements;
        return new RatioResult(ratios.Count, Quantile(ratios, 0.5), Quantile(ratios, 0.25), Quantile(ratios, 0.75),
            Median(timesA) * perElement, Median(timesB) * perElement);
    }

    /// <summary>
    /// Calls both alternately until the JIT has gone quiet: at least 100 calls each and <paramref name="seconds"/>, then
    /// until no method has been compiled for 0.3 s (at most 20 s). A fixed warm-up is not enough on a loaded machine:
    /// the tier-1 compiles happen on a background thread that gets its share of two busy cores late, and a kernel still
    /// on tier-0 code measured 10–40× slower than it is (seen here with ~25 runnable processes).
    /// </summary>
    private static void WarmUp(Action a, Action b, double seconds)
    {
        var clock = Stopwatch.StartNew();
        long compiled = JitInfo.GetCompiledMethodCount();
        TimeSpan quietSince = TimeSpan.Zero, lastCheck = TimeSpan.Zero;
        for (int calls = 0; ; calls++)
        {
            a();
            b();
            var now = clock.Elapsed;
            if (now - lastCheck >= TimeSpan.FromMilliseconds(50))
            {
                lastCheck = now;
                long count = JitInfo.GetCompiledMethodCount();
                if (count != compiled)
                {
                    compiled = count;
                    quietSince = now;
                }
            }
            bool quiet = now - quietSince >= TimeSpan.FromMilliseconds(300);
            if ((calls >= 100 && now.TotalSeconds >= seconds && quiet) || now.TotalSeconds >= 20)
            {
                return;
            }
        }
    }

    /// <summary>Repetitions that make one timed block last about <see cref="BlockSeconds"/>, from the fastest of a few calls.</summary>
    private static int Repetitions(Action f)
    {
        double fastest = double.MaxValue;
        for (int i = 0; i < 5; i++)
        {
            fastest = Math.Min(fastest, Time(f, 1));
        }
        return (int)Math.Clamp(Math.Ceiling(BlockSeconds / fastest), 1, 1_000_000);
    }

    /// <summary>Seconds per call, averaged over <paramref name="repetitions"/> back-to-back calls.</summary>
    private static double Time(Action f, int repetitions)
    {
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < repetitions; i++)
        {
            f();
        }
        return Stopwatch.GetElapsedTime(start).TotalSeconds / repetitions;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return Quantile(values, 0.5);
    }

    /// <summary>Linear-interpolated quantile of sorted values.</summary>
    internal static double Quantile(IReadOnlyList<double> sorted, double q)
    {
        double position = q * (sorted.Count - 1);
        int below = (int)Math.Floor(position);
        int above = Math.Min(below + 1, sorted.Count - 1);
        return sorted[below] + ((position - below) * (sorted[above] - sorted[below]));
    }
}
