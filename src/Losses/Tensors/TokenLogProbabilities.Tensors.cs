using Losses.Kernels;
using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;

namespace Losses;

public static partial class TokenLogProbabilities
{
    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Span{T}, int, double, int)"/>:
    /// <paramref name="logits"/> is [rows × classes] (leading dimensions are rows, as [batch, sequence, vocabulary]), dense;
    /// targets and outputs hold one element per row.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets, in TensorSpan<T> logProbabilities,
        in TensorSpan<T> entropy = default, int ignoreIndex = -100, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits), out int classCount), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Write(logProbabilities, nameof(logProbabilities)), classCount, TensorRows.Write(entropy, nameof(entropy)),
            ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, Span{T}, int, Span{T}, long, double, int)"/>,
    /// with int64 targets; shapes as for the int form.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets, in TensorSpan<T> logProbabilities,
        in TensorSpan<T> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Forward(TensorRows.Read(logits, nameof(logits), out int classCount), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Write(logProbabilities, nameof(logProbabilities)), classCount, TensorRows.Write(entropy, nameof(entropy)),
            ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>:
    /// <paramref name="logits"/> and <paramref name="gradient"/> are [rows × classes], dense; the upstream gradients hold
    /// one element per row (or are empty).</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets, in ReadOnlyTensorSpan<T> logProbabilityGradient,
        in ReadOnlyTensorSpan<T> entropyGradient, in TensorSpan<T> gradient, int ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(TensorRows.Read(logits, nameof(logits), out int classCount), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Read(logProbabilityGradient, nameof(logProbabilityGradient)), TensorRows.Read(entropyGradient, nameof(entropyGradient)),
            TensorRows.Write(gradient, nameof(gradient)), classCount, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, long, double, int)"/>,
    /// with int64 targets; shapes as for the int form.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets, in ReadOnlyTensorSpan<T> logProbabilityGradient,
        in ReadOnlyTensorSpan<T> entropyGradient, in TensorSpan<T> gradient, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(TensorRows.Read(logits, nameof(logits), out int classCount), TensorRows.Read(targets, nameof(targets)),
            TensorRows.Read(logProbabilityGradient, nameof(logProbabilityGradient)), TensorRows.Read(entropyGradient, nameof(entropyGradient)),
            TensorRows.Write(gradient, nameof(gradient)), classCount, ignoreIndex, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="BackwardSlice{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, int, double, int)"/>:
    /// <paramref name="logits"/> is the slice, [rows × width] with its rows one stride apart (a dense shard or a view of some
    /// columns of the whole tensor, as for <see cref="CrossEntropySlices"/>); <paramref name="gradient"/> has its lengths and
    /// row stride.</summary>
    /// <inheritdoc cref="BackwardSlice{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void BackwardSlice<T>(in ReadOnlyTensorSpan<T> logits, ReadOnlySpan<VocabularyPartial> partials, in ReadOnlyTensorSpan<T> logProbabilityGradient,
        in ReadOnlyTensorSpan<T> entropyGradient, in TensorSpan<T> gradient, int classCount, int offset, double softCap = double.PositiveInfinity,
        int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), partials.Length, out int width, out int stride);
        BackwardSlice(slice, partials, TensorRows.Read(logProbabilityGradient, nameof(logProbabilityGradient)),
            TensorRows.Read(entropyGradient, nameof(entropyGradient)),
            TensorRows.WriteSlice(gradient, nameof(gradient), partials.Length, width, stride, nameof(logits)), classCount, offset, width, stride,
            softCap, maxDegreeOfParallelism);
    }

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, int, double, int)"/> (the storing forward):
    /// <paramref name="logits"/> and <paramref name="gradient"/> are [rows × classes], dense; targets and the other outputs
    /// hold one element per row.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets, in TensorSpan<T> logProbabilities,
        Span<VocabularyPartial> partials, in TensorSpan<T> gradient, in TensorSpan<T> entropy = default, int ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        StoringForward(logits, new TargetSpan(TensorRows.Read(targets, nameof(targets))), logProbabilities, partials, gradient, entropy, ignoreIndex,
            softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{long}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, long, double, int)"/>, with int64 targets; shapes as for the int form.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{VocabularyPartial}, Span{T}, int, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Forward<T>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets, in TensorSpan<T> logProbabilities,
        Span<VocabularyPartial> partials, in TensorSpan<T> gradient, in TensorSpan<T> entropy = default, long ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        StoringForward(logits, new TargetSpan(TensorRows.Read(targets, nameof(targets))), logProbabilities, partials, gradient, entropy, ignoreIndex,
            softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/> (the backward from stored exps):
    /// <paramref name="logits"/> and <paramref name="gradient"/> are [rows × classes], dense; the upstream gradients hold
    /// one element per row (or are empty).</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void Backward<T>(in ReadOnlyTensorSpan<T> logits, ReadOnlySpan<VocabularyPartial> partials, in ReadOnlyTensorSpan<T> logProbabilityGradient,
        in ReadOnlyTensorSpan<T> entropyGradient, in TensorSpan<T> gradient, double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Backward(TensorRows.Read(logits, nameof(logits), out int classCount), partials,
            TensorRows.Read(logProbabilityGradient, nameof(logProbabilityGradient)), TensorRows.Read(entropyGradient, nameof(entropyGradient)),
            TensorRows.Write(gradient, nameof(gradient)), classCount, softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="BackwardSlice{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, int, double, int)"/>:
    /// <paramref name="logits"/> is the slice, [rows × width] with its rows one stride apart; <paramref name="gradient"/> has
    /// its lengths and row stride.</summary>
    /// <inheritdoc cref="BackwardSlice{T}(ReadOnlySpan{T}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{VocabularyPartial}, ReadOnlySpan{T}, ReadOnlySpan{T}, Span{T}, int, int, int, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void BackwardSlice<T>(in ReadOnlyTensorSpan<T> logits, ReadOnlySpan<VocabularyPartial> slicePartials, ReadOnlySpan<VocabularyPartial> partials,
        in ReadOnlyTensorSpan<T> logProbabilityGradient, in ReadOnlyTensorSpan<T> entropyGradient, in TensorSpan<T> gradient, int classCount, int offset,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        ReadOnlySpan<T> slice = TensorRows.ReadSlice(logits, nameof(logits), partials.Length, out int width, out int stride);
        BackwardSlice(slice, slicePartials, partials, TensorRows.Read(logProbabilityGradient, nameof(logProbabilityGradient)),
            TensorRows.Read(entropyGradient, nameof(entropyGradient)),
            TensorRows.WriteSlice(gradient, nameof(gradient), partials.Length, width, stride, nameof(logits)), classCount, offset, width, stride,
            softCap, maxDegreeOfParallelism);
    }

    /// <summary>Tensor form of <see cref="ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>:
    /// <paramref name="logits"/> and <paramref name="gradient"/> are [rows × classes], dense; targets and the other outputs
    /// hold one element per row.</summary>
    /// <inheritdoc cref="ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void ForwardBackward<T, TObjective>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<int> targets, in TensorSpan<T> logProbabilities,
        in TensorSpan<T> gradient, TObjective objective, in TensorSpan<T> entropy = default, int ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TObjective : struct, ITokenObjective<T> =>
        FusedTensors(logits, new TargetSpan(TensorRows.Read(targets, nameof(targets))), logProbabilities, gradient, objective, entropy, ignoreIndex,
            softCap, maxDegreeOfParallelism);

    /// <summary>Tensor form of <see cref="ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{long}, Span{T}, Span{T}, int, TObjective, Span{T}, long, double, int)"/>, with int64 targets; shapes as for the int form.</summary>
    /// <inheritdoc cref="ForwardBackward{T, TObjective}(ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, Span{T}, int, TObjective, Span{T}, int, double, int)"/>
    [OverloadResolutionPriority(-1)]
    public static void ForwardBackward<T, TObjective>(in ReadOnlyTensorSpan<T> logits, in ReadOnlyTensorSpan<long> targets, in TensorSpan<T> logProbabilities,
        in TensorSpan<T> gradient, TObjective objective, in TensorSpan<T> entropy = default, long ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TObjective : struct, ITokenObjective<T> =>
        FusedTensors(logits, new TargetSpan(TensorRows.Read(targets, nameof(targets))), logProbabilities, gradient, objective, entropy, ignoreIndex,
            softCap, maxDegreeOfParallelism);

    /// <summary>The fused form's tensor forms, for either target type.</summary>
    private static void FusedTensors<T, TObjective>(in ReadOnlyTensorSpan<T> logits, TargetSpan targets, in TensorSpan<T> logProbabilities,
        in TensorSpan<T> gradient, TObjective objective, in TensorSpan<T> entropy, long ignoreIndex, double softCap, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TObjective : struct, ITokenObjective<T> =>
        Fused(TensorRows.Read(logits, nameof(logits), out int classCount), targets, TensorRows.Write(logProbabilities, nameof(logProbabilities)),
            TensorRows.Write(gradient, nameof(gradient)), classCount, objective, TensorRows.Write(entropy, nameof(entropy)), ignoreIndex, softCap,
            maxDegreeOfParallelism);

    /// <summary>The storing forward's tensor forms, for either target type.</summary>
    private static void StoringForward<T>(in ReadOnlyTensorSpan<T> logits, TargetSpan targets, in TensorSpan<T> logProbabilities,
        Span<VocabularyPartial> partials, in TensorSpan<T> gradient, in TensorSpan<T> entropy, long ignoreIndex, double softCap, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run<T, T, T>(TensorRows.Read(logits, nameof(logits), out int classCount), targets, default, classCount, 0, classCount,
            TensorRows.Write(logProbabilities, nameof(logProbabilities)), TensorRows.Write(entropy, nameof(entropy)), default, default,
            TensorRows.Write(gradient, nameof(gradient)), ignoreIndex, softCap, maxDegreeOfParallelism, partialsOut: partials, storing: true);
}
