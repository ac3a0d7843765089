using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

// Tensor inputs: thin adapters that view dense tensors as the spans of the overloads in FocalLoss.cs.
// Priority −1: arrays convert to tensors too, and a positional call such as Entropy.Of<float>(p, d, classCount, 2) must
// bind to the span overload (classCount, logBase) rather than to this one (logBase, maxDegreeOfParallelism).
public static partial class FocalLoss
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, double,
    /// double, int)"/>: the tensors are dense (any shape; elements are taken in row-major order) and <c>Tensor&lt;T&gt;</c>
    /// converts implicitly (arrays bind to the span overload).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, Reduction, Span{T}, double, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<T> targets,
        in TensorSpan<T> gradient = default, Reduction reduction = Reduction.Mean, in TensorSpan<T> losses = default,
        double alpha = 0.25, double gamma = 2, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits)), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Write(gradient, nameof(gradient)), reduction, TensorRows.Write(losses, nameof(losses)), alpha,
            gamma, maxDegreeOfParallelism);
}
