using BenchmarkDotNet.Running;
using Losses.Benchmarks;
using Losses.Benchmarks.Ratio;
using Losses.Benchmarks.Smoke;

// Usage (details and the reasons behind each setting: benchmarks/README.md):
//   dotnet run -c Release --project benchmarks/Losses.Benchmarks -- --filter '*Softmax*'   stable job: 3 launches, median and spread
//   ... -- --filter '*Softmax*' --short      one launch, a quick look;   --launches N   N launches
//   ... -- --dry                             every benchmark once (CI)
//   ... -- ratio <candidate> <baseline> [--shape 512x1000] [--seconds 10]   alternating in-process ratio (ratio --list)
//   ... -- smoke [--seconds 2]               CI performance smoke check (.ci/perf-smoke)
//   ... -- tables [--launches 3] [--seconds 2] [--shapes ...]   issue 16's before/after table in markdown
// Other arguments pass through to BenchmarkDotNet.
string command = args.Length > 0 ? args[0] : "";
if (command is "ratio" or "smoke" or "tables" or "measure")
{
    // In-process modes measure here, so this process must run with the same JIT settings as BenchmarkDotNet's children.
    if (!JitSettings.Active)
    {
        return JitSettings.Relaunch(args);
    }
    string[] rest = args[1..];
    return command switch
    {
        "ratio" => RatioCommand.Run(rest),
        "smoke" => PerfSmoke.Run(rest),
        "tables" => Tables.Run(rest),
        _ => RatioCommand.RunMeasure(rest),
    };
}

var config = Config.Create(args, out string[] benchmarkArgs);
if (args.Contains("--dry") && !benchmarkArgs.Contains("--filter"))
{
    benchmarkArgs = [.. benchmarkArgs, "--filter", "*"];
}
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(benchmarkArgs, config).ToList();

// A benchmark that throws or fails validation must fail CI, not just print an error.
bool failed = summaries.Count == 0 || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
return failed ? 1 : 0;
