using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Losses;

/// <summary>
/// Views a tensor as the row-major span the span overloads take: [rows × classes] with the class dimension last. Only
/// dense (row-major, gap-free) tensors are viewed; a strided tensor is refused with its lengths and strides, because every
/// kernel streams whole rows from one contiguous block and a copy would be an allocation the caller did not ask for.
/// </summary>
internal static class TensorRows
{
    /// <summary>The elements of <paramref name="tensor"/> as one span, and its last dimension as the class count
    /// (rank 1 is one row; leading dimensions of rank 3 and more are rows too, as [batch, sequence, vocabulary]).</summary>
    public static ReadOnlySpan<T> Read<T>(in ReadOnlyTensorSpan<T> tensor, string name, out int classCount)
    {
        ReadOnlySpan<T> span = Read(tensor, name);
        classCount = tensor.Rank == 0 ? 0 : (int)tensor.Lengths[^1];
        if (classCount == 0)
        {
            throw new ArgumentException($"{name} has lengths [{string.Join(", ", tensor.Lengths.ToArray())}]: its last dimension, the classes, must not be empty.", name);
        }
        return span;
    }

    /// <summary>The elements of <paramref name="tensor"/>, of any rank, as one span (for elementwise losses and targets).</summary>
    public static ReadOnlySpan<T> Read<T>(in ReadOnlyTensorSpan<T> tensor, string name)
    {
        // A default (empty) tensor has rank 0, whose product of no lengths would be 1.
        int length = tensor.FlattenedLength == 0 ? 0 : DenseLength(tensor.Lengths, tensor.Strides, name);
        return length == 0 ? default : MemoryMarshal.CreateReadOnlySpan(in tensor.GetPinnableReference(), length);
    }

    /// <summary>The elements of a dense destination tensor as one span; an empty (default) tensor is an empty span, which
    /// the span overloads read as "not wanted".</summary>
    public static Span<T> Write<T>(in TensorSpan<T> tensor, string name)
    {
        int length = tensor.FlattenedLength == 0 ? 0 : DenseLength(tensor.Lengths, tensor.Strides, name);
        return length == 0 ? default : MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), length);
    }

    /// <summary>The element count of a row-major dense layout, or an exception naming the tensor, its lengths and strides.
    /// A dimension of length 1 may have any stride (slices give it 0).</summary>
    private static int DenseLength(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, string name)
    {
        nint expected = 1;
        for (int d = lengths.Length - 1; d >= 0; d--)
        {
            if (lengths[d] > 1 && strides[d] != expected)
            {
                throw new ArgumentException(
                    $"{name} has lengths [{string.Join(", ", lengths.ToArray())}] and strides [{string.Join(", ", strides.ToArray())}]; " +
                    $"it must be dense and row-major (stride {expected} in dimension {d}, the last dimension contiguous and each row right after " +
                    "the previous). Copy it into a dense tensor first.", name);
            }
            expected = checked(expected * lengths[d]);
            if (expected > int.MaxValue)
            {
                throw new ArgumentException($"{name} has {expected} or more elements; at most {int.MaxValue} are supported.", name);
            }
        }
        return (int)expected;
    }
}
