using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class Entropy
{
    /// <summary>Tensor form of <see cref="Of{T}(ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Of{T}(ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Of<T>(in ReadOnlyTensorSpan<T> p, in TensorSpan<T> destination, double logBase = Math.E,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Of(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Write(destination, nameof(destination)),
            classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="FromCounts{T}(ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="FromCounts{T}(ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void FromCounts<T>(in ReadOnlyTensorSpan<T> counts, in TensorSpan<T> destination,
        double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromCounts(TensorRows.Read(counts, nameof(counts), out int classCount),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="FromLogits{T}(ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="FromLogits{T}(ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void FromLogits<T>(in ReadOnlyTensorSpan<T> logits, in TensorSpan<T> destination,
        double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromLogits(TensorRows.Read(logits, nameof(logits), out int classCount),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Perplexity{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Perplexity{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Perplexity<T>(in ReadOnlyTensorSpan<T> p, in TensorSpan<T> destination,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Perplexity(TensorRows.Read(p, nameof(p), out int classCount),
            TensorRows.Write(destination, nameof(destination)), classCount, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="PerplexityFromLogits{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="PerplexityFromLogits{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void PerplexityFromLogits<T>(in ReadOnlyTensorSpan<T> logits, in TensorSpan<T> destination,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        PerplexityFromLogits(TensorRows.Read(logits, nameof(logits), out int classCount),
            TensorRows.Write(destination, nameof(destination)), classCount, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Cross{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Cross{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Cross<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q, in TensorSpan<T> destination,
        double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Cross(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="CrossFromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="CrossFromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void CrossFromLogits<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> logitsQ,
        in TensorSpan<T> destination, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        CrossFromLogits(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(logitsQ, nameof(logitsQ)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);
}
