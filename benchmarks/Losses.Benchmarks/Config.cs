using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Engines;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Losses.Benchmarks;

/// <summary>
/// The BenchmarkDotNet configuration. The default ("stable") job runs every benchmark in 3 separate launches (processes)
/// and adds two columns computed per launch: the median time of each launch, and the ratio to the class's baseline
/// launch by launch; each column quotes the median over launches with the min–max spread. One launch on a shared
/// machine moves by ±30 %; the spread says how far a figure can be trusted.
/// </summary>
internal static class Config
{
    /// <summary>Builds the config from the arguments it understands and returns the rest for BenchmarkDotNet.</summary>
    /// <remarks>
    /// --dry: every benchmark once (CI). --short: one launch, 3 warm-up and 5 measured iterations (a quick look).
    /// --launches N: launches of the stable job (default 3).
    /// </remarks>
    public static IConfig Create(string[] args, out string[] rest)
    {
        var list = args.ToList();
        bool dry = Take(list, "--dry");
        bool quick = Take(list, "--short");
        int launches = 3;
        int at = list.IndexOf("--launches");
        if (at >= 0)
        {
            launches = int.Parse(list[at + 1]);
            list.RemoveRange(at, 2);
        }
        Job job = dry ? Job.Dry
            : quick ? Job.ShortRun.WithWarmupCount(3).WithIterationCount(5)
            : Stable(launches);
        rest = [.. list];
        return DefaultConfig.Instance
            .AddJob(JitSettings.Apply(job))
            .AddColumn(new LaunchColumn(ratio: false), new LaunchColumn(ratio: true))
            .WithOptions(ConfigOptions.DisableOptimizationsValidator)
            // Building the generated project takes minutes when eight other agents build too (default limit: 2 minutes).
            .WithBuildTimeout(TimeSpan.FromMinutes(10));
    }

    /// <summary>
    /// Launches × (6 warm-up + 10 measured iterations of 250 ms). Six warm-up iterations of thousands of calls each are far
    /// past the tier-1 promotion; shorter iterations than BenchmarkDotNet's default 500 ms keep 3 launches affordable.
    /// </summary>
    public static Job Stable(int launches) => Job.Default
        .WithLaunchCount(launches)
        .WithWarmupCount(6)
        .WithIterationCount(10)
        .WithIterationTime(Perfolizer.Horology.TimeInterval.FromMilliseconds(250))
        .WithId($"Stable{launches}");

    private static bool Take(List<string> list, string flag) => list.Remove(flag);

    /// <summary>Median over launches (min–max) of each launch's median time, or of its ratio to the baseline's same launch.</summary>
    private sealed class LaunchColumn(bool ratio) : IColumn
    {
        public string Id => ratio ? "LaunchRatio" : "LaunchMedian";

        public string ColumnName => ratio ? "Ratio: median of launches (min–max)" : "Median of launches (min–max)";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Custom;

        public int PriorityInCategory => ratio ? 1 : 0;

        public bool IsNumeric => false;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => ratio
            ? "Per launch: median time / the baseline's median time in the launch with the same index; median over launches (min–max)"
            : "Per launch: median of the measured iterations; median over launches (min–max)";

        public bool IsAvailable(Summary summary) => true;

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var mine = LaunchMedians(summary, benchmarkCase);
            if (mine.Count == 0)
            {
                return "-";
            }
            if (!ratio)
            {
                double scale = mine.Values.Max() >= 1e6 ? 1e6 : mine.Values.Max() >= 1e3 ? 1e3 : 1;
                string unit = scale == 1e6 ? " ms" : scale == 1e3 ? " μs" : " ns";
                return Format(mine.Values.Select(v => v / scale), v => $"{v:G3}{unit}", unit);
            }
            var baseline = summary.GetBaseline(summary.GetLogicalGroupKey(benchmarkCase));
            if (baseline is null)
            {
                return "-";
            }
            var theirs = LaunchMedians(summary, baseline);
            var ratios = mine.Where(p => theirs.ContainsKey(p.Key)).Select(p => p.Value / theirs[p.Key]).ToList();
            return ratios.Count == 0 ? "-" : Format(ratios, v => $"{v:F2}", "");
        }

        private static string Format(IEnumerable<double> values, Func<double, string> one, string unit)
        {
            var sorted = values.Order().ToList();
            double median = Ratio.RatioRunner.Quantile(sorted, 0.5);
            return sorted.Count == 1 ? one(median) : $"{one(median)} ({sorted[0]:G3}–{sorted[^1]:G3}{unit})";
        }

        private static Dictionary<int, double> LaunchMedians(Summary summary, BenchmarkCase benchmarkCase)
        {
            var report = summary[benchmarkCase];
            if (report is null)
            {
                return [];
            }
            return report.AllMeasurements
                .Where(m => m.IterationMode == IterationMode.Workload && m.IterationStage == IterationStage.Result)
                .GroupBy(m => m.LaunchIndex)
                .ToDictionary(g => g.Key, g => Ratio.RatioRunner.Quantile([.. g.Select(m => m.Nanoseconds / m.Operations).Order()], 0.5));
        }
    }
}
