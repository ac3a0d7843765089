using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

// Tensor inputs: thin adapters that view dense tensors as the spans of the overloads in LogSoftmax.cs.
// Priority −1: arrays convert to tensors too, and a positional call such as Entropy.Of<float>(p, d, classCount, 2) must
// bind to the span overload (classCount, logBase) rather than to this one (logBase, maxDegreeOfParallelism).
public static partial class LogSoftmax
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>: <paramref name="logits"/>
    /// holds [rows × classes] (rank 1 is one row; the leading dimensions of a higher rank are all rows, as [batch,
    /// sequence, vocabulary]), dense and row-major; the class count is its last dimension. Every other tensor is dense with
    /// the same number of elements it has in the span form; <c>Tensor&lt;T&gt;</c> converts implicitly (arrays bind to the
    /// span overload).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, Span{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in TensorSpan<T> destination,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits), out int classCount),
            TensorRows.Write(destination, nameof(destination)), classCount, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>: <paramref
    /// name="output"/> holds [rows × classes] (rank 1 is one row; the leading dimensions of a higher rank are all rows, as
    /// [batch, sequence, vocabulary]), dense and row-major; the class count is its last dimension. Every other tensor is
    /// dense with the same number of elements it has in the span form; <c>Tensor&lt;T&gt;</c> converts implicitly (arrays
    /// bind to the span overload).</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> output, in ReadOnlyTensorSpan<T> outputGradient,
        in TensorSpan<T> inputGradient, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(TensorRows.Read(output, nameof(output), out int classCount),
            TensorRows.Read(outputGradient, nameof(outputGradient)),
            TensorRows.Write(inputGradient, nameof(inputGradient)), classCount, maxDegreeOfParallelism);
}
