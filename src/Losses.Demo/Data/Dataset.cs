namespace Losses.Demo.Data;

/// <summary>A classification data set held row-major: <see cref="Features"/> is [Rows, FeatureCount], labels are class indices.</summary>
internal sealed class Dataset
{
    public Dataset(string name, float[] features, int[] labels, string[] featureNames, string[] classNames)
    {
        Name = name;
        Features = features;
        Labels = labels;
        FeatureNames = featureNames;
        ClassNames = classNames;
        if (features.Length != labels.Length * featureNames.Length)
        {
            throw new ArgumentException($"{name}: {features.Length} feature values for {labels.Length} rows of {featureNames.Length}.");
        }
    }

    public string Name { get; }

    public float[] Features { get; }

    public int[] Labels { get; }

    public string[] FeatureNames { get; }

    public string[] ClassNames { get; }

    public int Rows => Labels.Length;

    public int FeatureCount => FeatureNames.Length;

    public int ClassCount => ClassNames.Length;

    public ReadOnlySpan<float> Row(int row) => Features.AsSpan(row * FeatureCount, FeatureCount);

    public int[] ClassCounts()
    {
        var counts = new int[ClassCount];
        foreach (int label in Labels)
        {
            counts[label]++;
        }
        return counts;
    }

    /// <summary>
    /// A shuffled train/test split, stratified by class so that both parts keep the class balance. With two rows or more,
    /// both parts get at least one row (rounding per class alone can leave the test set empty, and an accuracy of 0/0).
    /// </summary>
    public (Dataset Train, Dataset Test) Split(double testFraction, int seed)
    {
        var random = new Random(seed);
        var train = new List<int>();
        var test = new List<int>();
        for (int c = 0; c < ClassCount; c++)
        {
            int[] members = Enumerable.Range(0, Rows).Where(r => Labels[r] == c).ToArray();
            random.Shuffle(members);
            int testCount = (int)Math.Round(members.Length * testFraction);
            test.AddRange(members.Take(testCount));
            train.AddRange(members.Skip(testCount));
        }
        if (Rows >= 2 && test.Count == 0)
        {
            // Take the row from the largest class, which can best spare it.
            int largest = ClassCounts().Select((count, c) => (count, c)).Max().c;
            int row = train.First(r => Labels[r] == largest);
            train.Remove(row);
            test.Add(row);
        }
        else if (Rows >= 2 && train.Count == 0)
        {
            train.Add(test[^1]);
            test.RemoveAt(test.Count - 1);
        }
        int[] trainRows = [.. train];
        int[] testRows = [.. test];
        random.Shuffle(trainRows);
        random.Shuffle(testRows);
        return (Subset(trainRows, Name + " (train)"), Subset(testRows, Name + " (test)"));
    }

    public Dataset Subset(int[] rows, string name)
    {
        var features = new float[rows.Length * FeatureCount];
        var labels = new int[rows.Length];
        for (int i = 0; i < rows.Length; i++)
        {
            Row(rows[i]).CopyTo(features.AsSpan(i * FeatureCount, FeatureCount));
            labels[i] = Labels[rows[i]];
        }
        return new Dataset(name, features, labels, FeatureNames, ClassNames);
    }

    public Dataset WithLabels(int[] labels, string[] classNames, string name) => new(name, Features, labels, FeatureNames, classNames);

    /// <summary>
    /// Standardises features to zero mean and unit variance with statistics of <paramref name="train"/> only (the test
    /// part must not leak into training); constant features become 0.
    /// </summary>
    public static (Dataset Train, Dataset Test) Standardize(Dataset train, Dataset test)
    {
        int f = train.FeatureCount;
        var mean = new double[f];
        var variance = new double[f];
        for (int r = 0; r < train.Rows; r++)
        {
            ReadOnlySpan<float> row = train.Row(r);
            for (int j = 0; j < f; j++)
            {
                mean[j] += row[j];
            }
        }
        for (int j = 0; j < f; j++)
        {
            mean[j] /= train.Rows;
        }
        for (int r = 0; r < train.Rows; r++)
        {
            ReadOnlySpan<float> row = train.Row(r);
            for (int j = 0; j < f; j++)
            {
                variance[j] += (row[j] - mean[j]) * (row[j] - mean[j]);
            }
        }
        double[] scale = variance.Select(v => v > 1e-12 * train.Rows ? 1 / Math.Sqrt(v / train.Rows) : 0).ToArray();
        return (Apply(train), Apply(test));

        Dataset Apply(Dataset data)
        {
            var features = new float[data.Features.Length];
            for (int r = 0; r < data.Rows; r++)
            {
                for (int j = 0; j < f; j++)
                {
                    features[r * f + j] = (float)((data.Features[r * f + j] - mean[j]) * scale[j]);
                }
            }
            return new Dataset(data.Name, features, data.Labels, data.FeatureNames, data.ClassNames);
        }
    }
}
