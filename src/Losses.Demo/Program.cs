using System.Diagnostics;
using System.Globalization;
using Losses.Demo;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Sections;

// Losses demo: trains real models on real data with the library's losses. Run from the repository root:
//   dotnet run -c Release --project src/Losses.Demo                          (embedded digits + breast_cancer)
//   dotnet run -c Release --project src/Losses.Demo -- --data my.csv --label target
// Options: --check (exit 1 when a key figure is off; CI), --plot FILE (default losses-demo.png), --no-plot,
//          --label-smoothing X (section 1), --seed N.
const string Usage = "usage: Losses.Demo [--data FILE.csv --label COLUMN] [--label-smoothing X] [--seed N] [--plot FILE.png | --no-plot] [--check]";

Options options;
try
{
    options = Options.Parse(args);
}
catch (DataException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Usage);
    return 2;
}
if (options.Help)
{
    Console.WriteLine(Usage);
    return 0;
}

Dataset? userData = null;
if (options.DataFile is { } dataFile)
{
    try
    {
        userData = CsvData.Load(dataFile, options.LabelColumn!);
    }
    catch (DataException e)
    {
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
}

long started = Stopwatch.GetTimestamp();
var checks = new Checks();
var plots = new PlotBook();
var context = new DemoContext(Console.Out, checks, plots, options.Seed);
Console.WriteLine($"Losses demo: training models with the library's losses (.NET {Environment.Version}, {Environment.ProcessorCount} cores, float32).");

if (userData is { } data)
{
    string file = options.DataFile!;
    Console.WriteLine($"Data: {file}: {data.Rows} rows, {data.FeatureCount} numeric features, label '{options.LabelColumn}' with {data.ClassCount} classes " +
        $"({string.Join(", ", data.ClassNames.Zip(data.ClassCounts(), (n, c) => $"{n}: {c}"))}).");
    var (rawTrain, rawTest) = data.Split(0.25, options.Seed);
    var (train, test) = Dataset.Standardize(rawTrain, rawTest);
    var history = SoftmaxRegressionSection.Run(context, train, test, options.LabelSmoothing, checkDigits: false);
    var loss = plots.Panel($"{data.Name}: softmax regression", "epoch", "training loss (cross-entropy)");
    loss.Series.Add(Curve("cross-entropy", history.Select(h => h.TrainLoss)));
    var accuracy = plots.Panel($"{data.Name}: accuracy", "epoch", "accuracy", legend: ScottPlot.Alignment.LowerRight);
    accuracy.Series.Add(Curve("train", history.Select(h => h.TrainAccuracy)));
    accuracy.Series.Add(Curve("test", history.Select(h => h.TestAccuracy)));
    InformationGainSection.Run(context, rawTrain, rawTest, checkBreastCancer: false);
}
else
{
    Dataset digits = EmbeddedData.Digits();
    Dataset cancer = EmbeddedData.BreastCancer();
    Console.WriteLine($"Data (embedded, scikit-learn's copies of UCI data sets): digits {digits.Rows}×{digits.FeatureCount}, 10 classes; " +
        $"breast_cancer {cancer.Rows}×{cancer.FeatureCount}, {cancer.ClassCounts()[1]} malignant / {cancer.ClassCounts()[0]} benign.");
    var (digitsTrain, digitsTest) = Dataset.Standardize(digits.Split(0.25, options.Seed).Train, digits.Split(0.25, options.Seed).Test);
    var (cancerRawTrain, cancerRawTest) = cancer.Split(0.25, options.Seed);
    var (cancerTrain, cancerTest) = Dataset.Standardize(cancerRawTrain, cancerRawTest);

    SoftmaxRegressionSection.Run(context, digitsTrain, digitsTest, options.LabelSmoothing, checkDigits: true);
    var (ce, mse) = CrossEntropyVsMseSection.Run(context, digitsTrain, digitsTest);
    var logistic = LogisticRegressionSection.Run(context, cancerTrain, cancerTest);
    InformationGainSection.Run(context, cancerRawTrain, cancerRawTest, checkBreastCancer: true);
    var multiTask = MultiTaskSection.Run(context, digitsTrain, digitsTest);
    LanguageModelSection.Run(context);

    var lossPanel = plots.Panel("Digits: training loss (each loss on its own scale)", "epoch", "mean training loss");
    lossPanel.Series.Add(Curve("cross-entropy", ce.Select(h => h.TrainLoss)));
    lossPanel.Series.Add(Curve("MSE on softmax", mse.Select(h => h.TrainLoss)));
    var accuracyPanel = plots.Panel("Digits: test accuracy", "epoch", "test accuracy", legend: ScottPlot.Alignment.LowerRight);
    accuracyPanel.Series.Add(Curve("cross-entropy", ce.Select(h => h.TestAccuracy)));
    accuracyPanel.Series.Add(Curve("MSE on softmax", mse.Select(h => h.TestAccuracy)));
    var bcePanel = plots.Panel("Breast cancer: binary cross-entropy from logits", "epoch", "mean training loss");
    foreach (var o in logistic)
    {
        bcePanel.Series.Add(Curve($"posWeight {o.PosWeight:F2}", o.Losses));
    }
    var weightPanel = plots.Panel("Multi-task: loss weights over training", "epoch", "weight", logY: true, legend: ScottPlot.Alignment.UpperLeft);
    foreach (var o in multiTask.Where(o => o.Scheme != "equal"))
    {
        weightPanel.Series.Add(Curve($"{o.Scheme} w(digit)", o.Weights.Select(w => (double)w[0])));
        weightPanel.Series.Add(Curve($"{o.Scheme} w(≥5)", o.Weights.Select(w => (double)w[1])));
    }
}

Console.WriteLine();
if (options.PlotFile is { } plotFile)
{
    string path = Path.GetFullPath(plotFile);
    try
    {
        long bytes = plots.Save(path);
        Console.WriteLine($"Plot: {path} ({bytes / 1024} KiB, {plots.Panels.Count} panels).");
        checks.Add("plot: PNG written", bytes > 0, $"{bytes / 1024} KiB");
    }
    catch (Exception e) when (e is IOException or UnauthorizedAccessException or DllNotFoundException or TypeInitializationException)
    {
        Console.WriteLine($"Plot: could not write {path}: {e.Message}");
        checks.Add("plot: PNG written", false, e.GetType().Name);
    }
}

double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
Console.WriteLine($"Total time: {seconds.ToString("F1", CultureInfo.InvariantCulture)} s.");
if (checks.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("Key figures");
    checks.Print(Console.Out);
}
if (options.Check && checks.Failures > 0)
{
    Console.Error.WriteLine($"check failed: {checks.Failures} of {checks.Count} key figures are off (see the table above).");
    return 1;
}
return 0;

static PlotSeries Curve(string label, IEnumerable<double> values)
{
    double[] y = [.. values];
    return new PlotSeries(label, [.. Enumerable.Range(1, y.Length).Select(i => (double)i)], y);
}

/// <summary>Command-line options; a bad option is a one-line <see cref="DataException"/>.</summary>
internal sealed record Options(string? DataFile, string? LabelColumn, float LabelSmoothing, int Seed, string? PlotFile, bool Check, bool Help)
{
    public static Options Parse(string[] args)
    {
        string? data = null, label = null, plot = "losses-demo.png";
        float smoothing = 0;
        int seed = 42;
        bool check = false, help = false;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            switch (arg)
            {
                case "--check": check = true; break;
                case "--help" or "-h": help = true; break;
                case "--no-plot": plot = null; break;
                case "--data": data = Value(); break;
                case "--label": label = Value(); break;
                case "--plot": plot = Value(); break;
                case "--seed":
                    seed = int.TryParse(Value(), NumberStyles.Integer, CultureInfo.InvariantCulture, out int s) ? s
                        : throw new DataException($"--seed needs an integer, not '{args[i]}'");
                    break;
                case "--label-smoothing":
                    smoothing = float.TryParse(Value(), NumberStyles.Float, CultureInfo.InvariantCulture, out float x) && x is >= 0 and <= 1 ? x
                        : throw new DataException($"--label-smoothing needs a number in [0, 1], not '{args[i]}'");
                    break;
                default: throw new DataException($"unknown option '{arg}'");
            }

            string Value() => i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new DataException($"{arg} needs a value");
        }
        if (data is not null && label is null)
        {
            throw new DataException("--data needs --label COLUMN (the name of the class column in the header)");
        }
        if (label is not null && data is null)
        {
            throw new DataException("--label needs --data FILE.csv");
        }
        return new Options(data, label, smoothing, seed, plot, check, help);
    }
}
