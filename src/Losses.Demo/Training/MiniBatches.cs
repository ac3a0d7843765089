namespace Losses.Demo.Training;

/// <summary>Shuffled mini-batches of a data set, gathered into reusable buffers (fixed seed: every run is the same).</summary>
internal sealed class MiniBatches
{
    private readonly Data.Dataset _data;
    private readonly int[] _order;
    private readonly Random _random;

    public MiniBatches(Data.Dataset data, int batchSize, int seed)
    {
        _data = data;
        BatchSize = batchSize;
        _order = Enumerable.Range(0, data.Rows).ToArray();
        _random = new Random(seed);
        Features = new float[batchSize * data.FeatureCount];
        Labels = new int[batchSize];
    }

    public int BatchSize { get; }

    public int PerEpoch => (_data.Rows + BatchSize - 1) / BatchSize;

    public float[] Features { get; }

    public int[] Labels { get; }

    public void Shuffle() => _random.Shuffle(_order);

    /// <summary>Gathers batch <paramref name="index"/> of the current epoch; returns its row count.</summary>
    public int Load(int index)
    {
        int start = index * BatchSize;
        int rows = Math.Min(BatchSize, _data.Rows - start);
        int f = _data.FeatureCount;
        for (int i = 0; i < rows; i++)
        {
            int row = _order[start + i];
            _data.Row(row).CopyTo(Features.AsSpan(i * f, f));
            Labels[i] = _data.Labels[row];
        }
        return rows;
    }
}
