using System.Runtime.InteropServices;

namespace Losses;

/// <summary>One percentile of a per-token statistic: the value below which <paramref name="Fraction"/> of the tokens fall.</summary>
/// <param name="Fraction">In [0, 1]: 0 is the minimum, 0.5 the median, 1 the maximum.</param>
/// <param name="Value">The value, interpolated linearly between order statistics (llama.cpp's and NumPy's default rule).</param>
[StructLayout(LayoutKind.Auto)]
public readonly record struct Percentile(double Fraction, double Value);
