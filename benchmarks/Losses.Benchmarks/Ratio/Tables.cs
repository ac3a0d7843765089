using System.Globalization;

namespace Losses.Benchmarks.Ratio;

/// <summary>
/// <c>tables [--launches 3] [--seconds 2] [--shapes 4096x10,512x1000,8x32000,2x128000]</c>: the before/after table of
/// issue 16 in markdown. Every (launch, shape, row) is an alternating ratio measurement in its own process (so dynamic PGO
/// of one kernel or shape never shapes the code measured for another, and launches are independent). A cell
/// quotes the median over launches of the per-launch medians, with the min–max over launches.
/// </summary>
internal static class Tables
{
    /// <summary>The rows: candidate, baseline, label. Rows whose baseline is not "exp" are printed as speed-ups (baseline / candidate).</summary>
    private static readonly (string Candidate, string Baseline, string Label)[] Rows =
    [
        ("softmax", "exp", "Softmax"),
        ("logsoftmax", "exp", "LogSoftmax"),
        ("softmax-backward", "exp", "Softmax backward"),
        ("logsoftmax-backward", "exp", "LogSoftmax backward"),
        ("logsumexp", "exp", "LogSumExp"),
        ("entropy", "exp", "Entropy.FromLogits"),
        ("kl-logits", "exp", "KLDivergence.FromLogits"),
        ("distillation", "exp", "Distillation + gradient"),
        ("ce-forward", "exp", "CE forward"),
        ("ce-forward-grad", "exp", "CE forward+gradient"),
        ("ce-soft", "exp", "soft-target CE forward"),
        ("ce-soft-grad", "exp", "soft-target CE forward+gradient"),
        ("bce-logits", "exp", "BCE with logits"),
        ("bce-logits-grad", "exp", "BCE with logits + gradient"),
        ("bce-logits-posweight", "exp", "BCE with logits, posWeight"),
        ("bce-logits-posweight-grad", "exp", "BCE with logits, posWeight + gradient"),
        ("ce-forward-2t", "ce-forward", "CE forward, speed-up 2 threads vs 1"),
        ("ce-forward-grad-2t", "ce-forward-grad", "CE forward+gradient, speed-up 2 threads vs 1"),
    ];

    private const string DefaultShapes = "4096x10,512x1000,8x32000,2x128000";

    public static int Run(string[] args)
    {
        int launches = int.Parse(RatioCommand.Option(args, "--launches", "3"), CultureInfo.InvariantCulture);
        double seconds = Parse(RatioCommand.Option(args, "--seconds", "2"));
        string[] shapes = RatioCommand.Option(args, "--shapes", DefaultShapes).Split(',');
        string only = RatioCommand.Option(args, "--rows", "");
        // results[shape][row] = one (ratio, ns/element) per launch
        var results = shapes.ToDictionary(s => s, _ => new Dictionary<string, List<(double Ratio, double Ns, double BaselineNs)>>());
        for (int launch = 1; launch <= launches; launch++)
        {
            foreach (string shape in shapes)
            {
                Console.Error.WriteLine($"tables: launch {launch}/{launches}, {shape} ({DateTime.UtcNow:HH:mm:ss})");
                foreach (var (candidate, baseline, _) in Selected(only))
                {
                    var r = RatioCommand.Isolated(candidate, baseline, shape, seconds);
                    var cell = results[shape];
                    if (!cell.TryGetValue(candidate, out var list))
                    {
                        cell[candidate] = list = [];
                    }
                    list.Add((r.Median, r.CandidateNsPerElement, r.BaselineNsPerElement));
                }
            }
        }
        Print(results, shapes, launches, seconds);
        return 0;
    }

    private static IEnumerable<(string Candidate, string Baseline, string Label)> Selected(string only) =>
        only.Length == 0 ? Rows : Rows.Where(r => only.Split(',').Contains(r.Candidate));

    private static void Print(Dictionary<string, Dictionary<string, List<(double Ratio, double Ns, double BaselineNs)>>> results,
        string[] shapes, int launches, double seconds)
    {
        Console.WriteLine($"Float, one thread unless stated; {launches} launches (a fresh process per launch, shape and row), each cell an " +
            $"alternating ratio measurement of {seconds} s (per alternation the fastest of 3 interleaved ~1 ms blocks of each; median over alternations). Cell: " +
            "ns per element (median over launches) · ratio to `TensorPrimitives.Exp` over the same elements, median over " +
            "launches (min–max over launches). Speed-up rows: 1-thread time / 2-thread time, measured alternately.");
        Console.WriteLine();
        Console.WriteLine($"| operation | {string.Join(" | ", shapes)} |");
        Console.WriteLine($"|---|{string.Concat(shapes.Select(_ => "---:|"))}");
        var exp = shapes.Select(s => Median(results[s].Values.Where(l => l.Count > 0).SelectMany(l => l).Select(c => c.BaselineNs).ToList())).ToList();
        Console.WriteLine($"| TensorPrimitives.Exp (baseline) | {string.Join(" | ", exp.Select(ns => $"{ns:F2} ns · 1.00×"))} |");
        foreach (var (candidate, baseline, label) in Rows)
        {
            if (!results[shapes[0]].ContainsKey(candidate))
            {
                continue;
            }
            var cells = shapes.Select(s =>
            {
                var l = results[s][candidate];
                if (baseline != "exp")
                {
                    var speedups = l.Select(c => 1 / c.Ratio).Order().ToList();
                    return $"{Median(speedups):F2}× ({speedups[0]:F2}–{speedups[^1]:F2})";
                }
                var ratios = l.Select(c => c.Ratio).Order().ToList();
                return $"{Median([.. l.Select(c => c.Ns)]):F2} ns · {Median(ratios):F2}× ({ratios[0]:F2}–{ratios[^1]:F2})";
            });
            Console.WriteLine($"| {label} | {string.Join(" | ", cells)} |");
        }
    }

    private static double Median(List<double> values) => RatioRunner.Quantile([.. values.Order()], 0.5);

    private static double Parse(string s) => double.Parse(s, CultureInfo.InvariantCulture);
}
