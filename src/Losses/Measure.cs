using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>Validates and packs the arguments of the information measures (<see cref="Entropy"/>, <see cref="KLDivergence"/>, <see cref="JensenShannon"/>) and runs their row kernels.</summary>
internal static class Measure
{
    /// <summary>Validates a single row and packs it (ClassCount = its length; 0 means empty).</summary>
    internal static DistributionArgs<T> One<T>(ReadOnlySpan<T> a, double logBase, string logBaseName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        T scale = DistributionGuard.InverseLogOfBase<T>(logBase, logBaseName);
        return new DistributionArgs<T> { A = a, ClassCount = a.Length, Rows = a.IsEmpty ? 0 : 1, Scale = scale };
    }

    /// <summary>Validates a pair of single rows of equal length and packs them.</summary>
    internal static DistributionArgs<T> Two<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, double logBase, string aName, string bName, string logBaseName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var args = One(a, logBase, logBaseName);
        Guard.SameLength(a.Length, b.Length, bName, aName);
        args.B = b;
        return args;
    }

    /// <summary>Validates a batch (one or two inputs of rows × classCount, a destination of rows) and packs it.</summary>
    internal static DistributionArgs<T> Many<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> destination, int classCount, double logBase, string aName, string bName, string logBaseName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(a.Length, classCount, aName);
        if (bName.Length != 0)
        {
            Guard.SameLength(a.Length, b.Length, bName, aName);
            Guard.NoPartialOverlap<T>(b, destination, bName, nameof(destination));
        }
        Guard.DestinationLength(rows, destination.Length, nameof(destination));
        Guard.NoPartialOverlap<T>(a, destination, aName, nameof(destination));
        T scale = DistributionGuard.InverseLogOfBase<T>(logBase, logBaseName);
        return new DistributionArgs<T> { A = a, B = b, Destination = destination[..rows], ClassCount = classCount, Rows = rows, Scale = scale };
    }

    /// <summary>Runs a row kernel over a single row and returns its value (0 for an empty row).</summary>
    internal static T Single<T, TRow>(ref DistributionArgs<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRow : IDistributionRow<T>
    {
        if (args.Rows == 0)
        {
            return T.Zero;
        }
        Dispatch.Run<T, DistributionKernels.EachRow<T, TRow>, DistributionArgs<T>>(args.ClassCount, ref args);
        return args.Result;
    }

    /// <summary>Runs a row kernel over every row of a batch.</summary>
    internal static void Batch<T, TRow>(ref DistributionArgs<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TRow : IDistributionRow<T>
    {
        if (args.Rows > 0)
        {
            Dispatch.Run<T, DistributionKernels.EachRow<T, TRow>, DistributionArgs<T>>(args.ClassCount, ref args);
        }
    }

    /// <summary>Runs a whole-batch kernel (one that needs more than a value per row, e.g. a gradient) and returns the last row's value.</summary>
    internal static T RunKernel<T, TKernel>(ref DistributionArgs<T> args)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TKernel : IRowKernel<T, DistributionArgs<T>>
    {
        if (args.Rows > 0)
        {
            Dispatch.Run<T, TKernel, DistributionArgs<T>>(args.ClassCount, ref args);
        }
        return args.Result;
    }
}
