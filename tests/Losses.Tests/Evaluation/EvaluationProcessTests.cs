using System.Diagnostics;
using Losses.ShardWorker;

namespace Losses.Tests;

/// <summary>Shards scored in separate processes, carried as JSON, merge to the bits of one process.</summary>
public class EvaluationProcessTests
{
    [Fact]
    public void ShardsScoredInSeparateProcessesMergeToTheSingleProcessBits()
    {
        const int seed = 77, shards = 3;
        var (perplexity, comparison) = ShardCorpus.Score(seed, _ => true);
        string worker = Path.Combine(AppContext.BaseDirectory, "Losses.ShardWorker.dll");
        var outputs = Enumerable.Range(0, shards).Select(shard => Run(worker, $"{shard} {shards} {seed}")).ToArray();

        // Merged in reverse order, to show the order does not matter either.
        var mergedPerplexity = PerplexityAccumulator.FromJson(outputs[^1][0]);
        var mergedComparison = ModelComparison.FromJson(outputs[^1][1]);
        foreach (var output in outputs.Reverse().Skip(1))
        {
            mergedPerplexity.Merge(PerplexityAccumulator.FromJson(output[0]));
            mergedComparison.Merge(ModelComparison.FromJson(output[1]));
        }
        Assert.Equal(perplexity.ToJson(), mergedPerplexity.ToJson());
        Assert.Equal(comparison.ToJson(), mergedComparison.ToJson());
        Assert.Equal(perplexity.ToResult().ToTable(), mergedPerplexity.ToResult().ToTable());
        Assert.Equal(comparison.ToResult().ToTable(), mergedComparison.ToResult().ToTable());
        Assert.True(comparison.ToResult().PercentileRelativeError > 0, "the corpus exceeds the exact capacity, so the histogram is merged too");
    }

    private static string[] Run(string worker, string arguments)
    {
        var start = new ProcessStartInfo("dotnet", $"\"{worker}\" {arguments}") { RedirectStandardOutput = true, UseShellExecute = false };
        using var process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
