using System.Globalization;

namespace Losses.Benchmarks.Ratio;

/// <summary>
/// <c>ratio &lt;candidate&gt; &lt;baseline&gt; [--shape 512x1000] [--seconds 10]</c>: one alternating measurement, printed
/// for a person; <c>ratio --list</c> names the operations.
/// </summary>
internal static class RatioCommand
{
    public static int Run(string[] args)
    {
        if (args.Length == 0 || args[0] == "--list")
        {
            foreach (var op in Operations.All)
            {
                Console.WriteLine($"{op.Name,-28} {op.Description}");
            }
            return args.Length == 0 ? 2 : 0;
        }
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: ratio <candidate> <baseline> [--shape 512x1000] [--seconds 10]   (ratio --list names them)");
            return 2;
        }
        var candidate = Operations.Find(args[0]);
        var baseline = Operations.Find(args[1]);
        var (rows, classes) = Workload.ParseShape(Option(args, "--shape", "512x1000"));
        double seconds = double.Parse(Option(args, "--seconds", "10"), CultureInfo.InvariantCulture);
        var r = RatioRunner.Measure(candidate, baseline, new Workload(rows, classes), seconds);
        Console.WriteLine($"{candidate.Name} / {baseline.Name} at {rows}x{classes} (float): median {r.Median:F3}x, " +
            $"IQR {r.Q1:F3}-{r.Q3:F3}, {r.Alternations} alternations in {seconds:G3} s");
        Console.WriteLine($"  {candidate.Name}: {r.CandidateNsPerElement:F3} ns/element; {baseline.Name}: {r.BaselineNsPerElement:F3} ns/element " +
            "(medians; absolute times move with the machine's load, the ratio much less)");
        return 0;
    }

    /// <summary>
    /// <c>measure &lt;candidate&gt; &lt;baseline&gt; --shape S --seconds T</c>: one measurement printed as one tab-separated
    /// line (median, Q1, Q3, candidate and baseline ns/element, alternations) for <see cref="Isolated"/>.
    /// </summary>
    public static int RunMeasure(string[] args)
    {
        var (rows, classes) = Workload.ParseShape(Option(args, "--shape", "512x1000"));
        double seconds = double.Parse(Option(args, "--seconds", "2"), CultureInfo.InvariantCulture);
        var r = RatioRunner.Measure(Operations.Find(args[0]), Operations.Find(args[1]), new Workload(rows, classes), seconds);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{r.Median:R}\t{r.Q1:R}\t{r.Q3:R}\t{r.CandidateNsPerElement:R}\t{r.BaselineNsPerElement:R}\t{r.Alternations}"));
        return 0;
    }

    /// <summary>
    /// One measurement in a fresh process (with the JIT settings): what one kernel's tier-1 code looks like never depends on
    /// which other kernels ran before it in the same process (dynamic PGO profiles shared code paths).
    /// </summary>
    public static RatioResult Isolated(string candidate, string baseline, string shape, double seconds, IEnumerable<(string Name, string Value)>? environment = null)
    {
        var output = new StringWriter();
        int code = JitSettings.Relaunch(["measure", candidate, baseline, "--shape", shape, "--seconds", seconds.ToString(CultureInfo.InvariantCulture)], environment, output);
        string[] f = output.ToString().Trim().Split('\t');
        if (code != 0 || f.Length != 6)
        {
            throw new InvalidOperationException($"measure {candidate} {baseline} --shape {shape} failed (exit {code}): {output}");
        }
        double P(int i) => double.Parse(f[i], CultureInfo.InvariantCulture);
        return new RatioResult((int)P(5), P(0), P(1), P(2), P(3), P(4));
    }

    /// <summary>The value after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static string Option(string[] args, string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
}
