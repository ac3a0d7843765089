using System.Numerics;

namespace Losses.Kernels.MatMul;

/// <summary>
/// What a fused LM head does with one chunk of logits (<see cref="LinearHead{T}"/>): its per-token outputs, and, when
/// asked, ∂L/∂logits written over the logits in place.
/// </summary>
internal interface IChunkRows<T>
    where T : unmanaged
{
    /// <param name="logits">rows × classCount logits of tokens [start, start + rows); overwritten by their gradient when <paramref name="backward"/>.</param>
    /// <param name="scratch">The chunk's share of the buffer beyond the logits (as many elements per row as asked for).</param>
    /// <param name="start">The chunk's first token.</param>
    /// <param name="rows">Its number of tokens.</param>
    /// <param name="backward">Whether the gradient is wanted.</param>
    /// <param name="maxDegreeOfParallelism">As given to the head.</param>
    void Run(Span<T> logits, Span<T> scratch, int start, int rows, bool backward, int maxDegreeOfParallelism);
}

/// <summary>
/// The chunking driver of the fused LM heads (<see cref="LinearCrossEntropy"/>, <see cref="LinearTokenLogProbabilities"/>):
/// per chunk of tokens, logits = b + H_chunk·Wᵀ into a bounded buffer, the row stage, then ∂H_chunk = G·W,
/// ∂W (+)= Gᵀ·H_chunk and ∂b (+)= Σ_rows G before the next chunk overwrites the buffer.
/// </summary>
/// <remarks>
/// Determinism: each row's logits are one FMA chain per element, independent of the chunk; ∂W and ∂b are each one chain
/// over the tokens in order (the products resume their chains from ∂W, the column sums from ∂b); every parallel step
/// splits disjoint elements of its output. So the gradients do not depend on the chunk size or the thread count, provided
/// the row stage's do not.
/// </remarks>
internal static unsafe class LinearHead<T>
    where T : unmanaged, IFloatingPointIeee754<T>
{
    /// <summary>Runs the head over <paramref name="tokens"/> tokens in chunks of <paramref name="chunkRows"/>. Inputs are valid; gradients are empty or full size; tokens &gt; 0.</summary>
    public static void Run<TRows>(ref TRows stage, ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<T> linearBias,
        Span<T> hiddenGradient, Span<T> linearWeightGradient, Span<T> linearBiasGradient, int tokens, int hiddenSize, int classCount,
        int chunkRows, int scratchPerRow, int maxDegreeOfParallelism)
        where TRows : IChunkRows<T>, allows ref struct
    {
        bool backward = !hiddenGradient.IsEmpty || !linearWeightGradient.IsEmpty || !linearBiasGradient.IsEmpty;
        T[] buffer = Buffers.Take(chunkRows * (classCount + scratchPerRow));
        try
        {
            fixed (T* h = hidden)
            fixed (T* w = linearWeight)
            fixed (T* dh = hiddenGradient)
            fixed (T* dw = linearWeightGradient)
            fixed (T* db = linearBiasGradient)
            fixed (T* g = buffer)
            {
                for (int start = 0; start < tokens; start += chunkRows)
                {
                    int rows = Math.Min(chunkRows, tokens - start);
                    var logits = new Span<T>(g, rows * classCount);
                    T* hChunk = h + ((nint)start * hiddenSize);
                    if (!linearBias.IsEmpty)
                    {
                        ColumnSums<T>.Broadcast(linearBias, logits, maxDegreeOfParallelism);
                    }
                    Gemm<T>.Multiply(new MatrixView<T>(hChunk, hiddenSize, 1), new MatrixView<T>(w, 1, hiddenSize), g, classCount,
                        rows, classCount, hiddenSize, accumulate: !linearBias.IsEmpty, maxDegreeOfParallelism);
                    stage.Run(logits, new Span<T>(g + ((nint)chunkRows * classCount), rows * scratchPerRow), start, rows, backward, maxDegreeOfParallelism);
                    if (!backward)
                    {
                        continue;
                    }

                    var products = new BackwardProducts
                    {
                        Gradient = g,
                        Weight = w,
                        Hidden = hChunk,
                        HiddenGradient = dh == null ? null : dh + ((nint)start * hiddenSize),
                        WeightGradient = dw,
                        BiasGradient = db,
                        Rows = rows,
                        HiddenSize = hiddenSize,
                        ClassCount = classCount,
                        Accumulate = start > 0,
                    };
                    products.Run(maxDegreeOfParallelism);
                }
            }
        }
        finally
        {
            Buffers.Return(buffer);
        }
    }

    /// <summary>
    /// Checks the shapes every fused head shares (H, W, the bias and the three gradients, each of the latter empty or full
    /// size) and returns them registered for <see cref="HeadSpans{T}.CheckApart"/>; the caller adds its own spans.
    /// </summary>
    public static HeadSpans<T> CheckShapes(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<T> linearBias,
        ReadOnlySpan<T> hiddenGradient, ReadOnlySpan<T> linearWeightGradient, ReadOnlySpan<T> linearBiasGradient, int tokens, int hiddenSize, int classCount)
    {
        Guard.FloatOrDouble<T>();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(hiddenSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classCount);
        MatrixMultiply.Size(hidden.Length, tokens, hiddenSize, nameof(hidden), "targets.Length × hiddenSize");
        MatrixMultiply.Size(linearWeight.Length, classCount, hiddenSize, nameof(linearWeight), "classCount × hiddenSize");
        OptionalSize(linearBias.Length, 1, classCount, nameof(linearBias), "classCount");
        OptionalSize(hiddenGradient.Length, tokens, hiddenSize, nameof(hiddenGradient), "targets.Length × hiddenSize");
        OptionalSize(linearWeightGradient.Length, classCount, hiddenSize, nameof(linearWeightGradient), "classCount × hiddenSize");
        OptionalSize(linearBiasGradient.Length, 1, classCount, nameof(linearBiasGradient), "classCount");
        var spans = new HeadSpans<T>();
        spans.Input(hidden, nameof(hidden));
        spans.Input(linearWeight, nameof(linearWeight));
        spans.Input(linearBias, nameof(linearBias));
        spans.Destination(hiddenGradient, nameof(hiddenGradient));
        spans.Destination(linearWeightGradient, nameof(linearWeightGradient));
        spans.Destination(linearBiasGradient, nameof(linearBiasGradient));
        return spans;
    }

    private static void OptionalSize(int length, int rows, int columns, string name, string shape)
    {
        if (length != 0)
        {
            MatrixMultiply.Size(length, rows, columns, name, shape);
        }
    }

    /// <summary>
    /// The backward products of one chunk, G = ∂L/∂logits [rows × classCount]: ∂H_chunk = G·W, ∂W (+)= Gᵀ·H_chunk (one
    /// chain over all tokens) and ∂b (+)= Σ_rows G. With two or more threads the two products run side by side, each on
    /// half the threads with half of ∂b's columns: both read G and write disjoint outputs, so no packing is repeated and
    /// each product is computed exactly as on one thread. (Splitting each product between threads instead made every
    /// thread pack all of W for ∂H, chunk after chunk.)
    /// </summary>
    private unsafe struct BackwardProducts
    {
        public T* Gradient;
        public T* Weight;
        public T* Hidden;
        public T* HiddenGradient;
        public T* WeightGradient;
        public T* BiasGradient;
        public int Rows;
        public int HiddenSize;
        public int ClassCount;
        public bool Accumulate;

        public readonly void Run(int maxDegreeOfParallelism)
        {
            int threads = maxDegreeOfParallelism == -1 ? Environment.ProcessorCount : maxDegreeOfParallelism;
            // Below about a million multiply-adds per product the task machinery costs more than it saves (as in Gemm).
            if (threads <= 1 || HiddenGradient == null || WeightGradient == null || (long)Rows * ClassCount * HiddenSize < (1L << 20))
            {
                HiddenProduct(maxDegreeOfParallelism);
                WeightProduct(maxDegreeOfParallelism);
                BiasColumns(0, ClassCount, maxDegreeOfParallelism);
                return;
            }
            RunSideBySide(this, threads);
        }

        // Apart from Run so that the single-threaded path does not allocate the closures.
        private static void RunSideBySide(BackwardProducts products, int threads)
        {
            int half = products.ClassCount / 2;
            Parallel.Invoke(
                new ParallelOptions { MaxDegreeOfParallelism = threads },
                () =>
                {
                    products.HiddenProduct(threads / 2);
                    products.BiasColumns(0, half, 1);
                },
                () =>
                {
                    products.WeightProduct(threads - (threads / 2));
                    products.BiasColumns(half, products.ClassCount - half, 1);
                });
        }

        private readonly void HiddenProduct(int maxDegreeOfParallelism)
        {
            if (HiddenGradient != null)
            {
                Gemm<T>.Multiply(new MatrixView<T>(Gradient, ClassCount, 1), new MatrixView<T>(Weight, HiddenSize, 1), HiddenGradient,
                    HiddenSize, Rows, HiddenSize, ClassCount, accumulate: false, maxDegreeOfParallelism);
            }
        }

        private readonly void WeightProduct(int maxDegreeOfParallelism)
        {
            if (WeightGradient != null)
            {
                Gemm<T>.Multiply(new MatrixView<T>(Gradient, 1, ClassCount), new MatrixView<T>(Hidden, HiddenSize, 1), WeightGradient,
                    HiddenSize, ClassCount, HiddenSize, Rows, Accumulate, maxDegreeOfParallelism);
            }
        }

        /// <summary>∂b[first .. first + count) (+)= the column sums of G there, in token order.</summary>
        private readonly void BiasColumns(int first, int count, int maxDegreeOfParallelism)
        {
            if (BiasGradient != null && count > 0)
            {
                ColumnSums<T>.AddRows(new ReadOnlySpan<T>(Gradient + first, ((Rows - 1) * ClassCount) + count), count, ClassCount,
                    new Span<T>(BiasGradient + first, count), Accumulate, maxDegreeOfParallelism);
            }
        }
    }

    /// <summary>One buffer per element type, reused by the next call (taken exclusively, so concurrent calls never share it).</summary>
    private static class Buffers
    {
        private static T[]? s_buffer;

        public static T[] Take(int length)
        {
            T[]? buffer = Interlocked.Exchange(ref s_buffer, null);
            return buffer is not null && buffer.Length >= length ? buffer : GC.AllocateUninitializedArray<T>(length);
        }

        public static void Return(T[] buffer) => Volatile.Write(ref s_buffer, buffer);
    }
}

/// <summary>
/// The spans of one call of a fused head, by parameter name: every destination must lie apart from every input and from
/// every other destination (empty spans are not wanted and overlap nothing).
/// </summary>
internal ref struct HeadSpans<T>
{
    private ReadOnlySpan<T> _s0, _s1, _s2, _s3, _s4, _s5, _s6, _s7, _s8, _s9;
    private Names _names;
    private int _count;
    private int _destinations;

    public void Input(ReadOnlySpan<T> span, string name) => Add(span, name);

    public void Destination(ReadOnlySpan<T> span, string name)
    {
        _destinations |= 1 << _count;
        Add(span, name);
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first destination (in order) that overlaps an input or an earlier destination.</summary>
    public readonly void CheckApart()
    {
        for (int d = 0; d < _count; d++)
        {
            if ((_destinations & (1 << d)) == 0)
            {
                continue;
            }
            for (int other = 0; other < _count; other++)
            {
                bool input = (_destinations & (1 << other)) == 0;
                if ((input || other < d) && this[d].Overlaps(this[other]))
                {
                    throw new ArgumentException($"{_names[d]} overlaps {_names[other]}; destinations must not overlap the inputs or each other.", _names[d]);
                }
            }
        }
    }

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> naming the first destination that shares a byte with <paramref name="input"/>,
    /// an input of another element type read while the destinations are written (the class-index targets).
    /// </summary>
    public readonly void CheckApartFrom(ReadOnlySpan<byte> input, string inputName)
    {
        for (int d = 0; d < _count; d++)
        {
            if ((_destinations & (1 << d)) != 0)
            {
                ReadOnlySpan<T> span = this[d];
                var bytes = System.Runtime.InteropServices.MemoryMarshal.CreateReadOnlySpan(
                    ref System.Runtime.CompilerServices.Unsafe.As<T, byte>(ref System.Runtime.InteropServices.MemoryMarshal.GetReference(span)),
                    span.Length * System.Runtime.CompilerServices.Unsafe.SizeOf<T>());
                Guard.Apart(input, bytes, inputName, _names[d]);
            }
        }
    }

    private readonly ReadOnlySpan<T> this[int index] => index switch
    {
        0 => _s0,
        1 => _s1,
        2 => _s2,
        3 => _s3,
        4 => _s4,
        5 => _s5,
        6 => _s6,
        7 => _s7,
        8 => _s8,
        _ => _s9,
    };

    private void Add(ReadOnlySpan<T> span, string name)
    {
        switch (_count)
        {
            case 0: _s0 = span; break;
            case 1: _s1 = span; break;
            case 2: _s2 = span; break;
            case 3: _s3 = span; break;
            case 4: _s4 = span; break;
            case 5: _s5 = span; break;
            case 6: _s6 = span; break;
            case 7: _s7 = span; break;
            case 8: _s8 = span; break;
            case 9: _s9 = span; break;
            default: throw new InvalidOperationException("At most ten spans.");
        }
        _names[_count++] = name;
    }

    [System.Runtime.CompilerServices.InlineArray(10)]
    private struct Names
    {
        private string _element;
    }
}
