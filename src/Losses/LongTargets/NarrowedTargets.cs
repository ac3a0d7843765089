using System.Buffers;

namespace Losses;

/// <summary>
/// Int64 class indices (PyTorch's and TorchSharp's dtype) narrowed to the int32 the row ops read, in a pooled buffer (no
/// allocation once the pool is warm). Every target is checked first, so a bad one throws before anything is written and
/// names the same row and value the int32 overloads would. An ignore index outside the int32 range maps to −1, which no
/// checked target equals.
/// </summary>
internal readonly ref struct NarrowedTargets
{
    private readonly int[]? _rented;

    public NarrowedTargets(ReadOnlySpan<long> targets, int classCount, long ignoreIndex, string name)
    {
        IgnoreIndex = ignoreIndex is >= int.MinValue and <= int.MaxValue ? (int)ignoreIndex : -1;
        for (int row = 0; row < targets.Length; row++)
        {
            long t = targets[row];
            if ((ulong)t >= (ulong)classCount && t != ignoreIndex)
            {
                throw new ArgumentOutOfRangeException(name, t, $"{name}[{row}] = {t} is not a class index in [0, {classCount}) nor the ignore index {ignoreIndex}.");
            }
        }
        if (targets.IsEmpty)
        {
            return;
        }
        _rented = ArrayPool<int>.Shared.Rent(targets.Length);
        Span<int> narrowed = _rented.AsSpan(0, targets.Length);
        for (int row = 0; row < targets.Length; row++)
        {
            long t = targets[row];
            narrowed[row] = t == ignoreIndex ? IgnoreIndex : (int)t;
        }
        Targets = narrowed;
    }

    /// <summary>The targets as int32, ignored rows holding <see cref="IgnoreIndex"/>.</summary>
    public ReadOnlySpan<int> Targets { get; }

    /// <summary>The ignore index as int32.</summary>
    public int IgnoreIndex { get; }

    public void Dispose()
    {
        if (_rented is not null)
        {
            ArrayPool<int>.Shared.Return(_rented);
        }
    }
}
