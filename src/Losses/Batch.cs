using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>Validates the common shapes of batched calls and packs them for a kernel.</summary>
internal static class Batch
{
    /// <summary>One input of rows × classCount, one destination of the same size.</summary>
    public static BatchArgs<T> Unary<T>(ReadOnlySpan<T> input, Span<T> destination, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(input.Length, classCount, "logits");
        Guard.DestinationLength(input.Length, destination.Length, nameof(destination));
        Guard.NoPartialOverlap<T>(input, destination, "logits", nameof(destination));
        return new BatchArgs<T> { A = input, Destination = destination, ClassCount = classCount, Rows = rows };
    }

    /// <summary>Two inputs of rows × classCount (an output and its gradient), one destination of the same size.</summary>
    public static BatchArgs<T> Binary<T>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classCount)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(output.Length, classCount, nameof(output));
        Guard.SameLength(output.Length, outputGradient.Length, nameof(outputGradient), nameof(output));
        Guard.DestinationLength(output.Length, inputGradient.Length, nameof(inputGradient));
        Guard.NoPartialOverlap<T>(output, inputGradient, nameof(output), nameof(inputGradient));
        Guard.NoPartialOverlap<T>(outputGradient, inputGradient, nameof(outputGradient), nameof(inputGradient));
        return new BatchArgs<T> { A = output, B = outputGradient, Destination = inputGradient, ClassCount = classCount, Rows = rows };
    }
}
