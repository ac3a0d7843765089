using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class KLDivergence
{
    /// <summary>Tensor form of <see cref="Distillation{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, double, bool, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Distillation{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, int, Span{T}, Reduction, double, bool, int)"/>
    [OverloadResolutionPriority(-1)]
    public static T Distillation<T>(in ReadOnlyTensorSpan<T> teacherLogits, in ReadOnlyTensorSpan<T> studentLogits,
        in TensorSpan<T> studentGradient = default, Reduction reduction = Reduction.BatchMean, double temperature = 1,
        bool scaleByTemperatureSquared = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Distillation(TensorRows.Read(teacherLogits, nameof(teacherLogits), out int classCount),
            TensorRows.Read(studentLogits, nameof(studentLogits)), classCount,
            TensorRows.Write(studentGradient, nameof(studentGradient)), reduction, temperature,
            scaleByTemperatureSquared, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="FromLogits{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void FromLogits<T>(in ReadOnlyTensorSpan<T> teacherLogits, in ReadOnlyTensorSpan<T> studentLogits,
        in TensorSpan<T> destination, double temperature = 1, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromLogits(TensorRows.Read(teacherLogits, nameof(teacherLogits), out int classCount),
            TensorRows.Read(studentLogits, nameof(studentLogits)), TensorRows.Write(destination, nameof(destination)),
            classCount, temperature, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Of{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="Of{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Of<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q, in TensorSpan<T> destination,
        double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Of(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="FromCounts{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="FromCounts{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void FromCounts<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> q,
        in TensorSpan<T> destination, double logBase = Math.E, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromCounts(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(q, nameof(q)),
            TensorRows.Write(destination, nameof(destination)), classCount, logBase, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, bool, int)"/>.<include file="TensorForms.xml" path="doc/rows/para"/></summary>
    /// <inheritdoc cref="FromLogProbabilities{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, bool, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void FromLogProbabilities<T>(in ReadOnlyTensorSpan<T> p, in ReadOnlyTensorSpan<T> logQ,
        in TensorSpan<T> destination, bool logTarget = false, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        FromLogProbabilities(TensorRows.Read(p, nameof(p), out int classCount), TensorRows.Read(logQ, nameof(logQ)),
            TensorRows.Write(destination, nameof(destination)), classCount, logTarget, maxDegreeOfParallelism);
}
