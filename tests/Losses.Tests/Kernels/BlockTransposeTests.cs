namespace Losses.Tests.Kernels;

/// <summary>
/// The block path's transposes at every row length they handle: whole 8- and 16-column groups, the narrow loads of the
/// last 1–4 columns and the paired stores of the last two (<c>BlockTranspose.cs</c>). Softmax and the distillation
/// gradient write through the inverse transpose: each batched row must equal the single-row result (row path).
/// </summary>
public class BlockTransposeTests
{
    public static TheoryData<int> Classes() => [.. Enumerable.Range(1, 42), 50, 58, 66, 98, 100, 122, 124, 125, 126, 127, 128];

    [Theory]
    [MemberData(nameof(Classes))]
    public void Batched_outputs_equal_row_results_float(int classes)
    {
        const int rows = 53;
        var random = new Random(classes);
        float[] teacher = [.. Enumerable.Range(0, rows * classes).Select(_ => (float)((random.NextDouble() * 20) - 10))];
        float[] student = [.. teacher.Select(v => v + (float)((random.NextDouble() * 2) - 1))];
        var softmax = new float[teacher.Length];
        Softmax.Forward<float>(teacher, softmax, classes);
        var gradient = new float[teacher.Length];
        KLDivergence.Distillation<float>(teacher, student, classes, gradient, Reduction.Sum, temperature: 2);
        var perRow = new float[rows];
        KLDivergence.FromLogits<float>(teacher, student, perRow, classes, temperature: 2);
        for (int r = 0; r < rows; r++)
        {
            var row = new float[classes];
            Softmax.Forward<float>(teacher.AsSpan(r * classes, classes), row);
            Approx.Equal<float>(row, softmax.AsSpan(r * classes, classes), 2e-6, 1e-7, $"softmax row {r}");
            var g = new float[classes];
            KLDivergence.Distillation<float>(teacher.AsSpan(r * classes, classes), student.AsSpan(r * classes, classes), classes, g, Reduction.Sum, temperature: 2);
            Approx.Equal<float>(g, gradient.AsSpan(r * classes, classes), 2e-6, 3e-7, $"gradient row {r}"); // q − p cancels: a few ulp of p
            Approx.Equal(KLDivergence.FromLogits<float>(teacher.AsSpan(r * classes, classes), student.AsSpan(r * classes, classes), 2), perRow[r], 1e-5, 2e-6, $"KL row {r}"); // the block finishes in float: W/St + log(Ss/St) cancel to ~1e-7 of the log
        }
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void Batched_outputs_equal_row_results_double(int classes)
    {
        const int rows = 29;
        var random = new Random(classes);
        double[] teacher = [.. Enumerable.Range(0, rows * classes).Select(_ => (random.NextDouble() * 20) - 10)];
        double[] student = [.. teacher.Select(v => v + (random.NextDouble() * 2) - 1)];
        var softmax = new double[teacher.Length];
        Softmax.Forward<double>(teacher, softmax, classes);
        var gradient = new double[teacher.Length];
        KLDivergence.Distillation<double>(teacher, student, classes, gradient, Reduction.Sum, temperature: 2);
        for (int r = 0; r < rows; r++)
        {
            var row = new double[classes];
            Softmax.Forward<double>(teacher.AsSpan(r * classes, classes), row);
            Approx.Equal<double>(row, softmax.AsSpan(r * classes, classes), 1e-14, 1e-16, $"softmax row {r}");
            var g = new double[classes];
            KLDivergence.Distillation<double>(teacher.AsSpan(r * classes, classes), student.AsSpan(r * classes, classes), classes, g, Reduction.Sum, temperature: 2);
            Approx.Equal<double>(g, gradient.AsSpan(r * classes, classes), 1e-14, 1e-15, $"gradient row {r}"); // q − p cancels
        }
    }
}
