using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace Losses.Kernels;

/// <summary>
/// A batched kernel: <see cref="Run{TOps, TV}"/> holds the loop over rows, written once against <see cref="ISimd{TV, T}"/>;
/// <see cref="Dispatch"/> picks the width.
/// </summary>
internal interface IRowKernel<T, TArgs>
    where T : unmanaged, IFloatingPointIeee754<T>
    where TArgs : allows ref struct
{
    static abstract void Run<TOps, TV>(scoped ref TArgs args)
        where TOps : ISimd<TV, T>
        where TV : struct;
}

/// <summary>Picks the widest accelerated vector no longer than a row, once per call.</summary>
internal static class Dispatch
{
    /// <summary>Runs <typeparamref name="TKernel"/> with the widest accelerated vector of at most <paramref name="rowLength"/> lanes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Run<T, TKernel, TArgs>(int rowLength, scoped ref TArgs args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IRowKernel<T, TArgs>
        where TArgs : allows ref struct
    {
        if (V512<T>.IsAccelerated && rowLength >= Vector512<T>.Count)
        {
            TKernel.Run<V512<T>, Vector512<T>>(ref args);
        }
        else if (V256<T>.IsAccelerated && rowLength >= Vector256<T>.Count)
        {
            TKernel.Run<V256<T>, Vector256<T>>(ref args);
        }
        else if (V128<T>.IsAccelerated && rowLength >= Vector128<T>.Count)
        {
            TKernel.Run<V128<T>, Vector128<T>>(ref args);
        }
        else
        {
            TKernel.Run<Scalar<T>, T>(ref args);
        }
    }
}

