using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class SmoothL1Loss
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, double, int)"/>.<include file="TensorForms.xml" path="doc/elementwise/para"/></summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> input, in ReadOnlyTensorSpan<T> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        double beta = 1, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(input, nameof(input)), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Write(gradient, nameof(gradient)), reduction, TensorRows.Write(losses, nameof(losses)), beta,
            maxDegreeOfParallelism);
}
