using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class JensenShannon
{
    /// <summary>Tensor form of <see cref="Divergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Divergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Divergence<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q,
        in TensorSpan<T> destination, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Divergence(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Distance{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Distance{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Distance<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q, in TensorSpan<T> destination,
        double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Distance(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);
}
