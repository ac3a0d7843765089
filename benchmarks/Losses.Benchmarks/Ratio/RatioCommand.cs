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

    /// <summary>The value after <paramref name="name"/>, or <paramref name="fallback"/>.</summary>
    public static string Option(string[] args, string name, string fallback)
    {
        int at = Array.IndexOf(args, name);
        return at >= 0 && at + 1 < args.Length ? args[at + 1] : fallback;
    }
}
