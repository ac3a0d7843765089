using System.Diagnostics;
using System.Globalization;
using Losses.Demo;
using Losses.Demo.Data;
using Losses.Demo.Report;
using Losses.Demo.Sections;

// Losses demo: trains real models on real data with the library's losses. Run from the repository root:
//   dotnet run -c Release --project src/Losses.Demo                          (embedded digits + breast_cancer)
//   dotnet run -c Release --project src/Losses.Demo -- --data my.csv --label target
// Every option is in Options.Help below (what --help prints).

Options options;
try
{
    options = Options.Parse(args);
}
catch (DataException e)
{
    Console.Error.WriteLine($"error: {e.Message}");
    Console.Error.WriteLine(Options.Usage);
    Console.Error.WriteLine("Run with --help for every option.");
    return 2;
}
if (options.Help)
{
    Console.Write(Options.HelpText);
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
PlotBook? figures = options.FiguresDirectory is null ? null : plots;
Console.WriteLine($"Losses demo: training models with the library's losses (.NET {Environment.Version}, {Environment.ProcessorCount} cores, float32).");

if (userData is { } data)
{
    string file = options.DataFile!;
    Console.WriteLine($"Data: {file}: {data.Rows} rows, {data.FeatureCount} numeric features, label '{options.LabelColumn}' with {data.ClassCount} classes " +
        $"({string.Join(", ", data.ClassNames.Zip(data.ClassCounts(), (n, c) => $"{n}: {c}"))}).");
    var (rawTrain, rawTest) = data.Split(0.25, options.Seed);
    var (train, test) = Dataset.Standardize(rawTrain, rawTest);
    var history = SoftmaxRegressionSection.Run(context, train, test, options.LabelSmoothing, checkDigits: false);
    var loss = plots.Panel($"{data.Name}: softmax regression", "epoch", "training loss (cross-entropy)", name: "data-loss");
    loss.Series.Add(Curve("cross-entropy", history.Select(h => h.TrainLoss)));
    var accuracy = plots.Panel($"{data.Name}: accuracy", "epoch", "accuracy", legend: ScottPlot.Alignment.LowerRight, name: "data-accuracy");
    accuracy.Series.Add(Curve("train", history.Select(h => h.TrainAccuracy)));
    accuracy.Series.Add(Curve("test", history.Select(h => h.TestAccuracy)));
    var (ce, mse) = CrossEntropyVsMseSection.Run(context, train, test, checkDigits: false);
    if (data.ClassCount == 2)
    {
        BinaryCrossEntropyPanel(plots, data.Name, LogisticRegressionSection.Run(context, train, test, checkBreastCancer: false));
    }
    else
    {
        context.Skipped("3", "Logistic regression, binary cross-entropy from logits",
            $"It needs a binary label; '{options.LabelColumn}' has {data.ClassCount} classes (section 1 is its multi-class form).");
    }
    InformationGainSection.Run(context, rawTrain, rawTest, checkBreastCancer: false);
    context.Skipped("5", "Multi-task loss balancing",
        "It needs two related tasks on the same rows (the embedded digits: the digit, and digit ≥ 5); a CSV with --label has one.");
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
    var (ce, mse) = CrossEntropyVsMseSection.Run(context, digitsTrain, digitsTest, checkDigits: true);
    var logistic = LogisticRegressionSection.Run(context, cancerTrain, cancerTest, checkBreastCancer: true);
    InformationGainSection.Run(context, cancerRawTrain, cancerRawTest, checkBreastCancer: true);
    var multiTask = MultiTaskSection.Run(context, digitsTrain, digitsTest);

    var lossPanel = plots.Panel("Digits: training loss (each loss on its own scale)", "epoch", "mean training loss", name: "ce-vs-mse-loss");
    lossPanel.Series.Add(Curve("cross-entropy", ce.Select(h => h.TrainLoss)));
    lossPanel.Series.Add(Curve("MSE on softmax", mse.Select(h => h.TrainLoss)));
    var accuracyPanel = plots.Panel("Digits: test accuracy", "epoch", "test accuracy", legend: ScottPlot.Alignment.LowerRight, name: "ce-vs-mse-accuracy");
    accuracyPanel.Series.Add(Curve("cross-entropy", ce.Select(h => h.TestAccuracy)));
    accuracyPanel.Series.Add(Curve("MSE on softmax", mse.Select(h => h.TestAccuracy)));
    BinaryCrossEntropyPanel(plots, "Breast cancer", logistic);
    var weightPanel = plots.Panel("Multi-task: loss weights over training", "epoch", "weight", logY: true, legend: ScottPlot.Alignment.UpperLeft,
        name: "multi-task-weights");
    foreach (var o in multiTask.Where(o => o.Scheme != "equal"))
    {
        weightPanel.Series.Add(Curve($"{o.Scheme} w(digit)", o.Weights.Select(w => (double)w[0])));
        weightPanel.Series.Add(Curve($"{o.Scheme} w(≥5)", o.Weights.Select(w => (double)w[1])));
    }
    if (options.FiguresDirectory is not null)
    {
        figures = new PlotBook();
        figures.Panels.AddRange(plots.Panels);
        GuideFigures.AddTo(figures, cancerRawTrain);
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

if (options.FiguresDirectory is { } figuresDirectory && figures is not null)
{
    List<string> written = figures.SaveEach(figuresDirectory);
    Console.WriteLine($"Figures: {written.Count} PNGs in {Path.GetFullPath(figuresDirectory)} ({string.Join(", ", written.Select(Path.GetFileName))}).");
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

static void BinaryCrossEntropyPanel(PlotBook plots, string dataName, List<LogisticRegressionSection.Outcome> outcomes)
{
    var panel = plots.Panel($"{dataName}: binary cross-entropy from logits", "epoch", "mean training loss", name: "bce-posweight");
    foreach (var o in outcomes)
    {
        panel.Series.Add(Curve($"posWeight {o.PosWeight:F2}", o.Losses));
    }
}

static PlotSeries Curve(string label, IEnumerable<double> values)
{
    double[] y = [.. values];
    return new PlotSeries(label, [.. Enumerable.Range(1, y.Length).Select(i => (double)i)], y);
}

/// <summary>Command-line options; a bad option is a one-line <see cref="DataException"/>.</summary>
internal sealed record Options(string? DataFile, string? LabelColumn, float LabelSmoothing, int Seed, string? PlotFile, bool Check, bool Help,
    string? FiguresDirectory = null)
{
    public const string Usage =
        "usage: Losses.Demo [--data FILE.csv --label COLUMN] [--label-smoothing X] [--seed N] [--plot FILE.png | --no-plot] [--figures DIR] [--check]";

    /// <summary>What <c>--help</c> prints: the usage line, then every option with one line each.</summary>
    public const string HelpText =
        Usage + "\n" +
        "\n" +
        "Trains softmax regression, logistic regression, a decision tree and a multi-task model with the Losses library's\n" +
        "losses on scikit-learn's copies of the UCI digits and breast-cancer data (embedded), or on your own CSV.\n" +
        "\n" +
        "Options:\n" +
        "  --data FILE.csv        your data instead of the embedded sets: header row, numeric features, one label column\n" +
        "  --label COLUMN         the label column of --data (any values; a binary label also runs logistic regression)\n" +
        "  --label-smoothing X    label smoothing in [0, 1] for section 1's cross-entropy (default 0)\n" +
        "  --seed N               seed of the train/test split, initial weights and batches (default 42)\n" +
        "  --plot FILE.png        where to write the loss curves (default losses-demo.png in the current directory)\n" +
        "  --no-plot              write no PNG\n" +
        "  --figures DIR          also write each panel, and the documentation's figures, as separate PNGs in DIR\n" +
        "  --check                exit 1 when a key figure is off (CI runs this)\n" +
        "  -h, --help             print this help and exit\n";

    public static Options Parse(string[] args)
    {
        string? data = null, label = null, plot = "losses-demo.png", figures = null;
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
                case "--figures": figures = Value(); break;
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
        if (help)
        {
            return new Options(data, label, smoothing, seed, plot, check, help, figures);
        }
        if (data is not null && label is null)
        {
            throw new DataException("--data needs --label COLUMN (the name of the class column in the header)");
        }
        if (label is not null && data is null)
        {
            throw new DataException("--label needs --data FILE.csv");
        }
        return new Options(data, label, smoothing, seed, plot, check, help, figures);
    }
}
