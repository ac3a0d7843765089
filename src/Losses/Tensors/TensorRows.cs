using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace Losses;

/// <summary>
/// Views a tensor as the row-major span the span overloads take: [rows × classes] with the class dimension last. Only
/// dense (row-major, gap-free) tensors are viewed; a strided tensor is refused with its lengths and strides, because every
/// kernel streams whole rows from one contiguous block and a copy would be an allocation the caller did not ask for.
/// </summary>
/// <remarks>
/// The tensor overloads (<c>src/Losses/Tensors/&lt;Concept&gt;.Tensors.cs</c>) are thin adapters: this class's views, then
/// the span overload. Their summaries include one shared shape rule (<c>TensorForms.xml</c>). Each has
/// <c>[OverloadResolutionPriority(-1)]</c>: arrays convert to tensors too, and a positional call such as
/// <c>Entropy.Of&lt;float&gt;(p, d, classCount, 2)</c> must bind to the span overload (classCount, logBase) rather than to
/// the tensor one (logBase, maxDegreeOfParallelism).
/// </remarks>
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

    /// <summary>A slice of a vocabulary as the span overloads of <see cref="CrossEntropySlices"/> take it: the tensor is
    /// [rows × width] (leading dimensions are rows, as for <see cref="Read{T}(in ReadOnlyTensorSpan{T}, string, out int)"/>)
    /// with its last dimension contiguous and its rows at one stride — a dense shard (stride = width) or a view of some
    /// columns of a wider tensor, <c>logits[.., offset..(offset + width)]</c> (stride = the wide tensor's row length). The
    /// span runs from the first row's first element to the last row's last; <paramref name="rows"/> is the row count the
    /// other arguments give (targets or partials), which the tensor must have.</summary>
    public static ReadOnlySpan<T> ReadSlice<T>(in ReadOnlyTensorSpan<T> tensor, string name, int rows, out int width, out int stride)
    {
        int length = SliceLayout(tensor.Lengths, tensor.Strides, name, rows, out width, out stride);
        return length == 0 ? default : MemoryMarshal.CreateReadOnlySpan(in tensor.GetPinnableReference(), length);
    }

    /// <summary>A destination slice laid out exactly as its source (<see cref="ReadSlice"/>): the same lengths, the same row
    /// stride, so that the span overload's one stride serves both.</summary>
    public static Span<T> WriteSlice<T>(in TensorSpan<T> tensor, string name, int rows, int width, int stride, string source)
    {
        int length = SliceLayout(tensor.Lengths, tensor.Strides, name, rows, out int w, out int s);
        if (w != width || (rows > 1 && s != stride))
        {
            throw new ArgumentException(
                $"{Shape(tensor.Lengths, tensor.Strides, name)}; it must be laid out as {source}: {rows} rows of {width} columns, {stride} elements apart.", name);
        }
        return length == 0 ? default : MemoryMarshal.CreateSpan(ref tensor.GetPinnableReference(), length);
    }

    private static string Shape(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, string name) =>
        $"{name} has lengths [{string.Join(", ", lengths.ToArray())}] and strides [{string.Join(", ", strides.ToArray())}]";

    /// <summary>Width, row stride and spanned length of a [rows × width] slice layout, or an exception naming the tensor.</summary>
    private static int SliceLayout(ReadOnlySpan<nint> lengths, ReadOnlySpan<nint> strides, string name, int rows, out int width, out int stride)
    {
        width = lengths.Length == 0 ? 0 : (int)lengths[^1];
        if (width == 0)
        {
            throw new ArgumentException($"{Shape(lengths, strides, name)}: its last dimension, the slice's columns, must not be empty.", name);
        }
        if (width > 1 && strides[^1] != 1)
        {
            throw new ArgumentException($"{Shape(lengths, strides, name)}: its last dimension, the slice's columns, must be contiguous (stride 1). Copy it into a dense tensor first.", name);
        }
        // Leading dimensions are rows: the innermost one longer than 1 gives the row stride; each outer one must continue it.
        long count = 1, rowStride = -1;
        for (int d = lengths.Length - 2; d >= 0; d--)
        {
            if (lengths[d] > 1 && rowStride < 0)
            {
                rowStride = strides[d];
            }
            else if (lengths[d] > 1 && strides[d] != rowStride * count)
            {
                throw new ArgumentException($"{Shape(lengths, strides, name)}: its rows must be one stride apart (dimension {d} should have stride {rowStride * count}).", name);
            }
            count *= lengths[d];
        }
        stride = (int)Math.Clamp(rowStride < 0 ? width : rowStride, int.MinValue, int.MaxValue);
        if (stride < width)
        {
            throw new ArgumentException($"{Shape(lengths, strides, name)}: its rows overlap (row stride {stride} is less than the width {width}).", name);
        }
        if (count != rows)
        {
            throw new ArgumentException($"{Shape(lengths, strides, name)}: {count} rows, but the other arguments give {rows}.", name);
        }
        long length = rows == 0 ? 0 : ((rows - 1) * (long)stride) + width;
        if (length > int.MaxValue)
        {
            throw new ArgumentException($"{Shape(lengths, strides, name)}: it spans {length} elements; at most {int.MaxValue} are supported.", name);
        }
        return (int)length;
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
