using System.Numerics;

namespace Losses.Tests.Kernels;

/// <summary>
/// The block path's transposes at every row length they handle: whole 4-, 8- and 16-column groups, the narrow loads of
/// the last 1–4 columns and the paired or masked stores of the last 1–3 (<c>BlockTranspose.cs</c>). Softmax and the distillation
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
        float[] teacher = RowsOf<float>(classes, rows, out float[] student);
        Check(teacher, student, classes, 2e-6, 1e-7, 3e-7); // q − p cancels: a few ulp of p
        var perRow = new float[rows];
        KLDivergence.FromLogits<float>(teacher, student, perRow, classes, temperature: 2);
        for (int r = 0; r < rows; r++)
        {
            // The block finishes in float: W/St + log(Ss/St) cancel to ~1e-7 of the log.
            Approx.Equal(KLDivergence.FromLogits<float>(teacher.AsSpan(r * classes, classes), student.AsSpan(r * classes, classes), 2), perRow[r], 1e-5, 2e-6, $"KL row {r}");
        }
    }

    [Theory]
    [MemberData(nameof(Classes))]
    public void Batched_outputs_equal_row_results_double(int classes)
    {
        double[] teacher = RowsOf<double>(classes, 29, out double[] student);
        Check(teacher, student, classes, 1e-14, 1e-16, 1e-15);
    }

    private static T[] RowsOf<T>(int classes, int rows, out T[] student)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(classes);
        T[] teacher = [.. Enumerable.Range(0, rows * classes).Select(_ => T.CreateTruncating((random.NextDouble() * 20) - 10))];
        student = [.. teacher.Select(v => v + T.CreateTruncating((random.NextDouble() * 2) - 1))];
        return teacher;
    }

    private static void Check<T>(T[] teacher, T[] student, int classes, double relative, double absolute, double gradientAbsolute)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int rows = teacher.Length / classes;
        var softmax = new T[teacher.Length];
        Softmax.Forward<T>(teacher, softmax, classes);
        var gradient = new T[teacher.Length];
        KLDivergence.Distillation<T>(teacher, student, classes, gradient, Reduction.Sum, temperature: 2);
        for (int r = 0; r < rows; r++)
        {
            var row = new T[classes];
            Softmax.Forward<T>(teacher.AsSpan(r * classes, classes), row);
            Approx.Equal<T>(row, softmax.AsSpan(r * classes, classes), relative, absolute, $"softmax row {r}");
            var g = new T[classes];
            KLDivergence.Distillation<T>(teacher.AsSpan(r * classes, classes), student.AsSpan(r * classes, classes), classes, g, Reduction.Sum, temperature: 2);
            Approx.Equal<T>(g, gradient.AsSpan(r * classes, classes), relative, gradientAbsolute, $"gradient row {r}");
        }
    }
}
