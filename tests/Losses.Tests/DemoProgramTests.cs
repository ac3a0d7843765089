using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Losses.Tests;

/// <summary>
/// The demo as a user runs it (a separate process): --help lists every option the parser knows, and a user's CSV gets
/// every section that applies, with one line saying why for each that does not.
/// </summary>
public partial class DemoProgramTests
{
    private static (int ExitCode, string Output) RunDemo(params string[] args)
    {
        var start = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = Path.GetTempPath(),
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Losses.Demo.dll"));
        foreach (string arg in args)
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result);
    }

    private static string Csv(int classes, int rows = 240)
    {
        // Two informative features and one noise column; the label is the band of x0 + x1.
        var random = new Random(7);
        var text = new StringBuilder("x0,x1,noise,y\n");
        for (int i = 0; i < rows; i++)
        {
            double x0 = random.NextDouble() * 4 - 2, x1 = random.NextDouble() * 4 - 2;
            double s = x0 + x1 + 0.3 * (random.NextDouble() - 0.5);
            int label = classes == 2 ? (s > 0 ? 1 : 0) : Math.Clamp((int)Math.Floor((s + 4) / 8 * classes), 0, classes - 1);
            text.Append(CultureInfo.InvariantCulture, $"{x0:F4},{x1:F4},{random.NextDouble():F4},{(char)('a' + label)}\n");
        }
        string path = Path.Combine(Path.GetTempPath(), $"losses-demo-{classes}-{Environment.ProcessId}.csv");
        File.WriteAllText(path, text.ToString());
        return path;
    }

    private static string RunOnCsv(int classes)
    {
        string csv = Csv(classes);
        try
        {
            var (exitCode, output) = RunDemo("--data", csv, "--label", "y", "--no-plot");
            Assert.True(exitCode == 0, output);
            return output;
        }
        finally
        {
            File.Delete(csv);
        }
    }

    [GeneratedRegex("case \"(--?[a-z-]+)\"(?: or \"(--?[a-z-]+)\")?")]
    private static partial Regex ParsedOption();

    [Fact]
    public void Help_lists_every_option_with_a_line_each()
    {
        var (exitCode, output) = RunDemo("--help");
        Assert.Equal(0, exitCode);
        Assert.StartsWith("usage: Losses.Demo", output);
        string program = File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Losses.Demo", "Program.cs"));
        string[] parsed = [.. ParsedOption().Matches(program).SelectMany(m => new[] { m.Groups[1].Value, m.Groups[2].Value }).Where(o => o.Length > 0)];
        Assert.Contains("--figures", parsed);
        foreach (string option in parsed)
        {
            Assert.Matches(new Regex($"^  (-h, )?{Regex.Escape(option)}[ ,]", RegexOptions.Multiline), output);
        }
        // And nothing the parser does not know.
        foreach (Match m in Regex.Matches(output, @"^  (?:-h, )?(--[a-z-]+)", RegexOptions.Multiline))
        {
            Assert.Contains(m.Groups[1].Value, parsed);
        }
    }

    [Fact]
    public void A_binary_csv_label_runs_logistic_regression()
    {
        string output = RunOnCsv(classes: 2);
        Assert.Contains("3. Logistic regression on", output);
        Assert.Contains("Positive class = b", output);
        Assert.Contains("2. Cross-entropy vs MSE on the softmax outputs", output);
        Assert.Contains("5. Multi-task loss balancing: skipped", output);
        Assert.DoesNotContain("3. Logistic regression, binary cross-entropy from logits: skipped", output);
    }

    [Fact]
    public void A_multi_class_csv_label_says_why_logistic_regression_is_skipped()
    {
        string output = RunOnCsv(classes: 3);
        Assert.Contains("3. Logistic regression, binary cross-entropy from logits: skipped", output);
        Assert.Contains("It needs a binary label; 'y' has 3 classes", output);
        Assert.Contains("5. Multi-task loss balancing: skipped", output);
        Assert.Contains("1. Softmax regression on", output);
    }

    [Fact]
    public void A_bad_option_points_to_help() =>
        Assert.Contains("Run with --help for every option.", RunDemo("--no-such-option").Output);

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Losses.sln")))
        {
            directory = directory.Parent;
        }
        return directory?.FullName ?? throw new InvalidOperationException("Losses.sln not found");
    }
}
