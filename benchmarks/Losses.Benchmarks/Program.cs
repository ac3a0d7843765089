using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;

// Usage:
//   dotnet run -c Release --project benchmarks/Losses.Benchmarks -- --filter '*Softmax*'   (short job, a few minutes)
//   dotnet run -c Release --project benchmarks/Losses.Benchmarks -- --dry                  (every benchmark once: CI)
// Other BenchmarkDotNet arguments pass through.
bool dry = args.Contains("--dry");
string[] rest = [.. args.Where(a => a != "--dry")];
IConfig config = DefaultConfig.Instance
    .AddJob(dry ? Job.Dry : Job.ShortRun.WithWarmupCount(3).WithIterationCount(5))
    .WithOptions(ConfigOptions.DisableOptimizationsValidator);
if (dry && !rest.Contains("--filter"))
{
    rest = [.. rest, "--filter", "*"];
}
var summaries = BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(rest, config).ToList();

// A benchmark that throws or fails validation must fail CI, not just print an error.
bool failed = summaries.Count == 0 || summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success));
return failed ? 1 : 0;
