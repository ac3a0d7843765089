using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Losses.Kernels;

/// <summary>The spans and sizes a batched kernel works on, passed by reference through <see cref="Dispatch"/>.</summary>
internal ref struct BatchArgs<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    public ReadOnlySpan<T> A;
    public ReadOnlySpan<T> B;
    public ReadOnlySpan<T> C;
    public Span<T> Destination;
    public int ClassCount;
    public int Rows;

    /// <summary>Scalar results of a kernel (a single-row reduction, or a batch total).</summary>
    public T Result;

    public T Result2;

    /// <summary>Row <paramref name="row"/> of <see cref="A"/> (a batch of rows of <see cref="ClassCount"/>).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref readonly T RowOfA(int row) => ref Unsafe.Add(ref MemoryMarshal.GetReference(A), (nint)row * ClassCount);

    /// <summary>Row <paramref name="row"/> of <see cref="B"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref readonly T RowOfB(int row) => ref Unsafe.Add(ref MemoryMarshal.GetReference(B), (nint)row * ClassCount);

    /// <summary>Row <paramref name="row"/> of <see cref="Destination"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public readonly ref T RowOfDestination(int row) => ref Unsafe.Add(ref MemoryMarshal.GetReference(Destination), (nint)row * ClassCount);
}

/// <summary>What a batched kernel does with one row; <see cref="ForEachRow{T, TBody}"/> supplies the loop over rows.</summary>
internal interface IRowBody<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract void Row<TOps, TV>(scoped ref BatchArgs<T> args, int row)
        where TOps : ISimd<TV, T>
        where TV : struct;
}

/// <summary>The loop over the rows of a batch, so that kernels only say what happens to one row.</summary>
internal readonly struct ForEachRow<T, TBody> : IRowKernel<T, BatchArgs<T>>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TBody : IRowBody<T>
{
    public static void Run<TOps, TV>(scoped ref BatchArgs<T> args)
        where TOps : ISimd<TV, T>
        where TV : struct
    {
        for (int row = 0; row < args.Rows; row++)
        {
            TBody.Row<TOps, TV>(ref args, row);
        }
    }
}
