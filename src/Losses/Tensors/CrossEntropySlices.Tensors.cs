using Losses.Kernels;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class CrossEntropySlices
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>:
    /// <paramref name="logits"/> is the slice, [rows × width] with its columns contiguous and its rows one stride apart — a
    /// dense shard, or a view of columns [offset, offset + width) of the whole [rows × classCount] tensor; its shape gives
    /// width and stride, <paramref name="classCount"/> and <paramref name="offset"/> say where it sits in the vocabulary.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets, Span<VocabularyPartial> partials,
        int classCount, int offset, ReadOnlySpan<T> weight = default, int ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<int> rowTargets = TensorRows.Read(targets, nameof(targets));
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), rowTargets.Length, out int width, out int stride);
        Forward(slice, rowTargets, partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism);
    }

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, long, double, int)"/>,
    /// with int64 targets; <paramref name="logits"/> is the slice, as for the int form.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, int, int, int, int, ReadOnlySpan{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets, Span<VocabularyPartial> partials,
        int classCount, int offset, ReadOnlySpan<T> weight = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<long> rowTargets = TensorRows.Read(targets, nameof(targets));
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), rowTargets.Length, out int width, out int stride);
        Forward(slice, rowTargets, partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism);
    }

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>:
    /// <paramref name="logits"/> is the slice, as for Forward; <paramref name="gradient"/> has its lengths and row stride
    /// (the same columns of a gradient tensor shaped as the logits, or the logits themselves).</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> logits, ReadOnlySpan<VocabularyPartial> partials, in TensorSpan<T> gradient,
        int classCount, int offset, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default, double labelSmoothing = 0,
        double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), partials.Length, out int width, out int stride);
        Span<T> sliceGradient = TensorRows.WriteSlice(gradient, nameof(gradient), partials.Length, width, stride, nameof(logits));
        Backward(slice, partials, sliceGradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap,
            maxDegreeOfParallelism);
    }

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/> (the storing forward):
    /// <paramref name="logits"/> is the slice, as for the plain forward; <paramref name="gradient"/> has its lengths and row
    /// stride (the same columns of a gradient tensor shaped as the logits, or the logits themselves without a soft-cap).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets, Span<VocabularyPartial> partials,
        in TensorSpan<T> gradient, int classCount, int offset, ReadOnlySpan<T> weight = default, int ignoreIndex = -100, double labelSmoothing = 0,
        bool entropy = false, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        StoringForward(logits, new TargetSpan(TensorRows.Read(targets, nameof(targets))), partials, gradient, classCount, offset, weight, ignoreIndex,
            labelSmoothing, entropy, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, long, double, bool, double, int)"/> (the storing forward):
    /// <paramref name="logits"/> is the slice, as for the plain forward; <paramref name="gradient"/> has its lengths and row
    /// stride (the same columns of a gradient tensor shaped as the logits, or the logits themselves without a soft-cap).</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{VocabularyPartial}, Span{T}, int, int, int, int, ReadOnlySpan{T}, int, double, bool, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets, Span<VocabularyPartial> partials,
        in TensorSpan<T> gradient, int classCount, int offset, ReadOnlySpan<T> weight = default, long ignoreIndex = -100, double labelSmoothing = 0,
        bool entropy = false, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        StoringForward(logits, new TargetSpan(TensorRows.Read(targets, nameof(targets))), partials, gradient, classCount, offset, weight, ignoreIndex,
            labelSmoothing, entropy, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/> (the backward from stored exps):
    /// <paramref name="logits"/> is the slice, as for Forward; <paramref name="gradient"/> has its lengths and row stride.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{VocabularyPartial}, Span{T}, int, int, int, int, Reduction, ReadOnlySpan{T}, double, double, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> logits, ReadOnlySpan<VocabularyPartial> slicePartials, ReadOnlySpan<VocabularyPartial> partials,
        in TensorSpan<T> gradient, int classCount, int offset, Reduction reduction = Reduction.Mean, ReadOnlySpan<T> weight = default,
        double labelSmoothing = 0, double zLoss = 0, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), partials.Length, out int width, out int stride);
        Span<T> sliceGradient = TensorRows.WriteSlice(gradient, nameof(gradient), partials.Length, width, stride, nameof(logits));
        Backward(slice, slicePartials, partials, sliceGradient, classCount, offset, width, stride, reduction, weight, labelSmoothing, zLoss, softCap,
            maxDegreeOfParallelism);
    }

    /// <summary>The storing forward's tensor forms, for either target type.</summary>
    private static void StoringForward<T>(in ReadOnlyTensorSpan<T> logits, TargetSpan targets, Span<VocabularyPartial> partials, in TensorSpan<T> gradient,
        int classCount, int offset, ReadOnlySpan<T> weight, long ignoreIndex, double labelSmoothing, bool entropy, double softCap, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), targets.Length, out int width, out int stride);
        Span<T> sliceGradient = TensorRows.WriteSlice(gradient, nameof(gradient), targets.Length, width, stride, nameof(logits));
        ForwardCore(slice, targets, partials, classCount, offset, width, stride, weight, ignoreIndex, softCap, maxDegreeOfParallelism, sliceGradient,
            storing: true, labelSmoothing, entropy);
    }
}
