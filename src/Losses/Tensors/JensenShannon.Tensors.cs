using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

// Tensor inputs: thin adapters that view dense tensors as the spans of the overloads in JensenShannon.cs.
// Priority −1: arrays convert to tensors too, and a positional call such as Entropy.Of<float>(p, d, classCount, 2) must
// bind to the span overload (classCount, logBase) rather than to this one (logBase, maxDegreeOfParallelism).
public static partial class JensenShannon
{
    /// <summary>Tensor form of <see cref="Divergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>:
    /// <paramref name="p"/> holds [rows × classes] (rank 1 is one row; the leading dimensions of a higher rank are all
    /// rows, as [batch, sequence, vocabulary]), dense and row-major; the class count is its last dimension. Every other
    /// tensor is dense with the same number of elements it has in the span form; <c>Tensor&lt;T&gt;</c> converts implicitly
    /// (arrays bind to the span overload).</summary>
    /// <inheritdoc cref="Divergence{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Divergence<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q,
        in TensorSpan<T> destination, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Divergence(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Distance{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>:
    /// <paramref name="p"/> holds [rows × classes] (rank 1 is one row; the leading dimensions of a higher rank are all
    /// rows, as [batch, sequence, vocabulary]), dense and row-major; the class count is its last dimension. Every other
    /// tensor is dense with the same number of elements it has in the span form; <c>Tensor&lt;T&gt;</c> converts implicitly
    /// (arrays bind to the span overload).</summary>
    /// <inheritdoc cref="Distance{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Distance<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q, in TensorSpan<T> destination,
        double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Distance(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);
}
