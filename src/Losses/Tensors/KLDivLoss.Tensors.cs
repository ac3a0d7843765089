using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

// Tensor inputs: thin adapters that view dense tensors as the spans of the overloads in KLDivLoss.cs.
// Priority −1: arrays convert to tensors too, and a positional call such as Entropy.Of<float>(p, d, classCount, 2) must
// bind to the span overload (classCount, logBase) rather than to this one (logBase, maxDegreeOfParallelism).
public static partial class KLDivLoss
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, Span{T},
    /// bool, int)"/>: <paramref name="logProbabilities"/> holds [rows × classes] (rank 1 is one row; the leading dimensions
    /// of a higher rank are all rows, as [batch, sequence, vocabulary]), dense and row-major; the class count is its last
    /// dimension. Every other tensor is dense with the same number of elements it has in the span form;
    /// <c>Tensor&lt;T&gt;</c> converts implicitly (arrays bind to the span overload).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, Span{T}, bool, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> logProbabilities, in ReadOnlyTensorSpan<T> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.BatchMean,
        in TensorSpan<T> losses = default, bool logTarget = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logProbabilities, nameof(logProbabilities), out int classCount),
            TensorRows.Read(targets, nameof(targets)), classCount, TensorRows.Write(gradient, nameof(gradient)),
            reduction, TensorRows.Write(losses, nameof(losses)), logTarget, maxDegreeOfParallelism);
}
