using System.Diagnostics;
using BenchmarkDotNet.Jobs;

namespace Losses.Benchmarks;

/// <summary>
/// The runtime settings every measurement runs under (BenchmarkDotNet child processes through the job; the in-process
/// ratio, smoke and table modes by re-starting themselves once with the variables set). Why each one is or is not set
/// is in benchmarks/README.md ("JIT settings").
/// </summary>
internal static class JitSettings
{
    /// <summary>
    /// DOTNET_TC_CallCountingDelayMs = 0: count calls (and promote to tier 1 after 30) from the start, instead of waiting
    /// for a 100 ms stretch without new tier-0 JIT activity, which on a machine shared with builds can keep being pushed
    /// back and leave a short measurement on tier-0 code. Dynamic PGO and tiering stay on (what users run);
    /// ReadyToRun stays on (its code is re-compiled at tier 1 once hot, inside the warm-up).
    /// </summary>
    public static IReadOnlyList<(string Name, string Value)> Variables { get; } =
    [
        ("DOTNET_TC_CallCountingDelayMs", "0"),
        ("DOTNET_TieredPGO", "1"),
        ("DOTNET_TieredCompilation", "1"),
    ];

    public static Job Apply(Job job) =>
        job.WithEnvironmentVariables([.. Variables.Select(v => new EnvironmentVariable(v.Name, v.Value))]);

    /// <summary>
    /// True when every one of <see cref="Variables"/> is set in this process (a child started by <see cref="Relaunch"/>).
    /// A value set by hand wins over ours, for experiments (e.g. DOTNET_TieredPGO=0 dotnet run ... ratio ...).
    /// </summary>
    public static bool Active =>
        Variables.All(v => Environment.GetEnvironmentVariable(v.Name) is not null);

    /// <summary>Runs this program again with the same arguments and <see cref="Variables"/> set; returns its exit code.</summary>
    public static int Relaunch(IEnumerable<string> args, IEnumerable<(string Name, string Value)>? extra = null, TextWriter? output = null)
    {
        string host = Environment.ProcessPath ?? "dotnet";
        var start = new ProcessStartInfo(host) { UseShellExecute = false, RedirectStandardOutput = output is not null };
        if (Path.GetFileNameWithoutExtension(host).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(typeof(JitSettings).Assembly.Location);
        }
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        foreach (var (name, value) in Variables.Concat(extra ?? []))
        {
            start.Environment[name] = Environment.GetEnvironmentVariable(name) ?? value;
        }
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {host}.");
        if (output is not null)
        {
            output.Write(process.StandardOutput.ReadToEnd());
        }
        process.WaitForExit();
        return process.ExitCode;
    }
}
