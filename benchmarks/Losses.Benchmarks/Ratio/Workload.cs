namespace Losses.Benchmarks.Ratio;

/// <summary>
/// The data every named operation reads and writes for one shape (rows × classes, float): logits uniform in [−10, 10]
/// (seed 42, as the BenchmarkDotNet classes use), a student = logits + uniform [−1, 1], integer and soft targets, 0/1
/// binary targets, a per-class posWeight, softmax and log-softmax outputs with an upstream gradient for the backward
/// passes, and destinations. Built once per shape, outside any timing.
/// </summary>
internal sealed class Workload
{
    public Workload(int rows, int classes)
    {
        Rows = rows;
        Classes = classes;
        int n = rows * classes;
        var random = new Random(42);
        Logits = new float[n];
        Student = new float[n];
        BinaryTargets = new float[n];
        UpstreamGradient = new float[n];
        for (int i = 0; i < n; i++)
        {
            Logits[i] = (float)(random.NextDouble() * 20 - 10);
            Student[i] = Logits[i] + (float)(random.NextDouble() * 2 - 1);
            BinaryTargets[i] = random.Next(2);
            UpstreamGradient[i] = (float)(random.NextDouble() * 2 - 1);
        }
        Targets = [.. Enumerable.Range(0, rows).Select(_ => random.Next(classes))];
        PosWeight = [.. Enumerable.Range(0, classes).Select(_ => (float)(0.5 + random.NextDouble() * 2))];
        SoftmaxOutput = new float[n];
        LogSoftmaxOutput = new float[n];
        Softmax.Forward<float>(Student, SoftmaxOutput, classes);
        LogSoftmax.Forward<float>(Student, LogSoftmaxOutput, classes);
        Destination = new float[n];
        Gradient = new float[n];
        RowOutput = new float[rows];
    }

    public int Rows { get; }

    public int Classes { get; }

    public int Elements => Rows * Classes;

    public float[] Logits { get; }

    public float[] Student { get; }

    public int[] Targets { get; }

    /// <summary>Soft targets: a softmax of the student logits (a probability row per sample).</summary>
    public float[] SoftmaxOutput { get; }

    public float[] LogSoftmaxOutput { get; }

    public float[] BinaryTargets { get; }

    public float[] PosWeight { get; }

    public float[] UpstreamGradient { get; }

    public float[] Destination { get; }

    public float[] Gradient { get; }

    public float[] RowOutput { get; }

    /// <summary>Parses "512x1000" (rows x classes).</summary>
    public static (int Rows, int Classes) ParseShape(string shape)
    {
        string[] parts = shape.Split('x', 'X', '×');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int rows) || !int.TryParse(parts[1], out int classes) || rows < 1 || classes < 1)
        {
            throw new ArgumentException($"Shape '{shape}' is not ROWSxCLASSES (e.g. 512x1000).", nameof(shape));
        }
        return (rows, classes);
    }
}
