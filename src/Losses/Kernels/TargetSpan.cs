using System.Runtime.CompilerServices;

namespace Losses.Kernels;

/// <summary>Class-index targets as given: int (the .NET habit) or long (PyTorch's and TorchSharp's int64).</summary>
internal readonly ref struct TargetSpan
{
    public readonly ReadOnlySpan<int> Int32;
    public readonly ReadOnlySpan<long> Int64;
    public readonly bool IsInt64;

    public TargetSpan(ReadOnlySpan<int> targets) => Int32 = targets;

    public TargetSpan(ReadOnlySpan<long> targets)
    {
        Int64 = targets;
        IsInt64 = true;
    }

    public int Length => IsInt64 ? Int64.Length : Int32.Length;

    public long this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsInt64 ? Int64[index] : Int32[index];
    }

    /// <summary>Checks every target is a class in [0, classCount) or the ignore index; names the first bad row.</summary>
    public void Check(int classCount, long ignoreIndex, string name)
    {
        for (int row = 0; row < Length; row++)
        {
            long t = this[row];
            if ((ulong)t >= (ulong)classCount && t != ignoreIndex)
            {
                throw new ArgumentOutOfRangeException(name, t, $"{name}[{row}] = {t} is not a class index in [0, {classCount}) nor the ignore index {ignoreIndex}.");
            }
        }
    }
}
