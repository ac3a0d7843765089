using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Losses.Kernels;

/// <summary>Class-index targets as given: int (the .NET habit) or long (PyTorch's and TorchSharp's int64).</summary>
internal readonly ref struct TargetSpan
{
    public readonly ReadOnlySpan<int> Int32;
    public readonly ReadOnlySpan<long> Int64;
    public readonly bool IsInt64;

    /// <summary>True when built from a span (even an empty one); false for <c>default</c>: no targets (partials given instead).</summary>
    public readonly bool IsGiven;

    public TargetSpan(ReadOnlySpan<int> targets)
    {
        Int32 = targets;
        IsGiven = true;
    }

    public TargetSpan(ReadOnlySpan<long> targets)
    {
        Int64 = targets;
        IsInt64 = true;
        IsGiven = true;
    }

    public int Length => IsInt64 ? Int64.Length : Int32.Length;

    /// <summary>The targets' memory, for the overlap rule against outputs of another element type.</summary>
    public ReadOnlySpan<byte> Bytes => IsInt64 ? MemoryMarshal.AsBytes(Int64) : MemoryMarshal.AsBytes(Int32);

    /// <summary>
    /// The overlap rule for the outputs of a row op: the targets are read row by row while the outputs are written, so an
    /// output sharing their memory (a reinterpreted buffer) would change a validated target under the kernel; throws naming both.
    /// </summary>
    public void CheckApart<T>(ReadOnlySpan<T> output, string outputName)
        where T : unmanaged =>
        Guard.Apart(Bytes, MemoryMarshal.AsBytes(output), "targets", outputName);

    public long this[int index]
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => IsInt64 ? Int64[index] : Int32[index];
    }

    /// <summary>
    /// Checks every target is a class in [0, classCount) or the ignore index (naming the first bad row), and returns the
    /// number of targets that are not the ignore index; int targets eight at a time (the short-row cross-entropy spends
    /// as long on a scalar pass over its targets as on a tenth of its exps).
    /// </summary>
    public int CheckAndCount(int classCount, long ignoreIndex, string name)
    {
        int row = 0;
        int ignored = 0;
        if (!IsInt64 && Vector256.IsHardwareAccelerated && ignoreIndex == (int)ignoreIndex)
        {
            ref int first = ref MemoryMarshal.GetReference(Int32);
            var classes = Vector256.Create((uint)classCount);
            var ignore = Vector256.Create((int)ignoreIndex);
            for (; row + Vector256<int>.Count <= Int32.Length; row += Vector256<int>.Count)
            {
                Vector256<int> t = Vector256.LoadUnsafe(ref first, (nuint)row);
                Vector256<int> isIgnored = Vector256.Equals(t, ignore);
                if ((Vector256.LessThan(t.AsUInt32(), classes).AsInt32() | isIgnored).ExtractMostSignificantBits() != 0xFF)
                {
                    break; // the scalar loop below finds the bad row (every earlier block was valid) and throws
                }
                ignored += BitOperations.PopCount(isIgnored.ExtractMostSignificantBits());
            }
        }
        for (; row < Length; row++)
        {
            long t = this[row];
            if ((ulong)t >= (ulong)classCount && t != ignoreIndex)
            {
                throw new ArgumentOutOfRangeException(name, t, $"{name}[{row}] = {t} is not a class index in [0, {classCount}) nor the ignore index {ignoreIndex}.");
            }
            ignored += t == ignoreIndex ? 1 : 0;
        }
        return Length - ignored;
    }

    /// <summary>Checks every target is a class in [0, classCount) or the ignore index; names the first bad row.</summary>
    public void Check(int classCount, long ignoreIndex, string name) => _ = CheckAndCount(classCount, ignoreIndex, name);
}
