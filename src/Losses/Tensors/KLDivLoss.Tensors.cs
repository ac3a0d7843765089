using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class KLDivLoss
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, Span{T}, bool, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
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
