using System.Numerics;
using Losses.Kernels;
using Losses.Kernels.MatMul;

namespace Losses;

/// <summary>
/// The fused LM head: cross-entropy of the logits H·Wᵀ + b (H hidden states [tokens × hiddenSize], W the <c>nn.Linear</c>
/// weight [classCount × hiddenSize], b an optional bias) against integer targets, with ∂H, ∂W and ∂b in the same call,
/// without ever holding the [tokens × classCount] logits: as PyTorch's <c>F.cross_entropy(F.linear(H, W, b), targets)</c>
/// followed by its backward pass, in the manner of Liger-Kernel's fused linear cross-entropy.
/// </summary>
/// <remarks>
/// <para>How: the tokens are processed in chunks whose logits fit a buffer of at most <c>maxBufferElements</c> elements. Per
/// chunk: logits = H_chunk·Wᵀ + b (<see cref="MatrixMultiply"/>, the bias as the start of each FMA chain); the loss and
/// ∂loss/∂logits by <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>, written over the logits in place; then ∂H_chunk = G·W,
/// ∂W += Gᵀ·H_chunk and ∂b += column sums of G, before the next chunk overwrites the buffer. For Mean the gradients are
/// those of the Sum, multiplied once at the end by 1/D, with D the divisor of the whole batch (Σ w[t] over non-ignored
/// tokens, computed from the targets up front).</para>
/// <para>Determinism: the loss and every gradient are bitwise the same for any <c>maxBufferElements</c> and any
/// <c>maxDegreeOfParallelism</c>: each row's logits and gradient do not depend on the chunk; ∂W and ∂b are each one chain
/// over the tokens in order (the matrix product resumes its FMA chain from ∂W, see <see cref="MatrixMultiply"/>); the
/// per-token losses are summed in token order. Exception: for vocabularies of at most 128 classes the cross-entropy works
/// on blocks of 16 rows, and chunks are then 16 tokens whatever the budget; a budget of fewer than 16 tokens may change the
/// last bits.</para>
/// <para>Accuracy: logits are FMA chains of hiddenSize terms; the cross-entropy is that of <see cref="CrossEntropy"/>
/// (a few ulp per row); ∂W and ∂H are chains of tokens and classCount terms. Compared with materialising the logits and
/// calling <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>, the loss agrees to a few ulp and the gradients to the rounding of the
/// final 1/D scaling.</para>
/// <para>Edge cases: as <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/> for the logits (a −∞ bias masks a class; all tokens ignored
/// gives a Mean of NaN and zero gradients). When the Mean divisor is 0 but some tokens count (every counted target has class
/// weight 0), the loss is NaN and the gradients are left as those of the Sum. Zero tokens: Mean is NaN, Sum 0, gradients 0.</para>
/// <para>Memory: the buffer (chunk rows × (classCount + 1) elements: the logits and the per-token losses) is kept for the
/// next call (one per element type, shared with <see cref="LinearTokenLogProbabilities"/>; a call made while another holds
/// it allocates its own) and the matrix product's packing buffers (about 2.2 MB per thread for float) likewise; nothing
/// else is allocated on one thread. With <c>maxDegreeOfParallelism</c> ≠ 1 the task machinery is allocated.</para>
/// <para>Threads: the logits product splits the vocabulary, the cross-entropy the tokens; the two backward products run
/// side by side, each on half the threads, so that neither packs its operands twice.</para>
/// <para>Cost: the three matrix products (6·tokens·classCount·hiddenSize flops with all gradients, 2·… for the loss only),
/// plus about three passes over each chunk's logits.</para>
/// </remarks>
/// <seealso cref="CrossEntropy"/>
/// <seealso cref="MatrixMultiply"/>
public static partial class LinearCrossEntropy
{
    /// <summary>The default logits buffer: 2²³ elements (32 MB of float), e.g. 262 tokens of a 32 000-class vocabulary.</summary>
    public const int DefaultMaxBufferElements = 1 << 23;

    /// <summary>Cross-entropy of H·Wᵀ + b against integer targets, with optional ∂H, ∂W and ∂b.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="hidden">H: tokens × hiddenSize hidden states, row-major (tokens = targets.Length).</param>
    /// <param name="linearWeight">W: classCount × hiddenSize, row-major (PyTorch's <c>nn.Linear.weight</c>).</param>
    /// <param name="targets">One class index in [0, classCount) per token, or <paramref name="ignoreIndex"/>.</param>
    /// <param name="hiddenSize">Columns of H and of W, positive.</param>
    /// <param name="classCount">The vocabulary: rows of W, positive.</param>
    /// <param name="linearBias">Empty, or classCount biases (−∞ masks a class).</param>
    /// <param name="hiddenGradient">Empty, or tokens × hiddenSize: receives ∂loss/∂H.</param>
    /// <param name="linearWeightGradient">Empty, or classCount × hiddenSize: receives ∂loss/∂W (overwritten, not accumulated).</param>
    /// <param name="linearBiasGradient">Empty, or classCount: receives ∂loss/∂b.</param>
    /// <param name="reduction">None, Mean (default) or Sum, as <see cref="CrossEntropy.Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{int}, int, Span{T}, Reduction, Span{T}, ReadOnlySpan{T}, int, double, double, double, int)"/>; for None the gradients are those of the sum of the per-token losses.</param>
    /// <param name="losses">With <see cref="Reduction.None"/>: at least tokens long, receives each token's loss.</param>
    /// <param name="weight">Empty, or classCount class weights (PyTorch's <c>weight</c>).</param>
    /// <param name="ignoreIndex">Tokens with this target count for nothing (default −100).</param>
    /// <param name="labelSmoothing">ε in [0, 1].</param>
    /// <param name="zLoss">λ ≥ 0 of the z-loss λ·(log Z)² per counted token, as in <see cref="CrossEntropy"/> (PaLM: 1e-4).
    /// With <see cref="Reduction.Mean"/> the z-loss is divided by the same divisor as the cross-entropy, which is
    /// <see cref="CrossEntropy"/>'s count of counted tokens when no class <paramref name="weight"/> is given; z-loss together
    /// with class weights and Mean is rejected (the two divisors differ).</param>
    /// <param name="softCap">c &gt; 0: logits are soft-capped to c·tanh(x/c) before the softmax, as in <see cref="CrossEntropy"/>
    /// (Gemma 2: 30); +∞ (default) for none.</param>
    /// <param name="maxBufferElements">Cap on the logits buffer in elements; at least classCount + 1 (one token). Default <see cref="DefaultMaxBufferElements"/>.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same.</param>
    /// <returns>The reduced loss (for None, the sum of the per-token losses).</returns>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, classCount) and not the ignore index; hiddenSize, classCount,
    /// labelSmoothing, reduction, maxBufferElements or maxDegreeOfParallelism is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length disagrees with the shapes, or a destination overlaps an input or another
    /// destination; nothing is written.</exception>
    /// <example>
    /// <code>
    /// // 2 tokens, hidden size 3, vocabulary 4.
    /// float[] h = [0.5f, -1f, 2f, 1f, 0f, -0.5f];
    /// float[] w = [0.1f, 0.2f, 0.3f, -0.2f, 0.1f, 0f, 0.3f, -0.1f, 0.2f, 0f, 0f, 1f];
    /// var dh = new float[h.Length];
    /// var dw = new float[w.Length];
    /// float loss = LinearCrossEntropy.Forward&lt;float&gt;(h, w, [3, 0], hiddenSize: 3, classCount: 4,
    ///     hiddenGradient: dh, linearWeightGradient: dw);
    /// </code>
    /// </example>
    public static T Forward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<int> targets, int hiddenSize, int classCount,
        ReadOnlySpan<T> linearBias = default, Span<T> hiddenGradient = default, Span<T> linearWeightGradient = default,
        Span<T> linearBiasGradient = default, Reduction reduction = Reduction.Mean, Span<T> losses = default,
        ReadOnlySpan<T> weight = default, int ignoreIndex = -100, double labelSmoothing = 0, double zLoss = 0,
        double softCap = double.PositiveInfinity, int maxBufferElements = DefaultMaxBufferElements, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tokens = targets.Length;
        var spans = LinearHead<T>.CheckShapes(hidden, linearWeight, linearBias, hiddenGradient, linearWeightGradient, linearBiasGradient,
            tokens, hiddenSize, classCount);
        if (reduction is not (Reduction.None or Reduction.Mean or Reduction.Sum))
        {
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, "Cross-entropy supports Reduction.None, Mean and Sum.");
        }
        if (reduction == Reduction.None)
        {
            Guard.DestinationLength(tokens, losses.Length, nameof(losses));
        }
        else
        {
            losses = default;
        }
        spans.Destination(losses, nameof(losses));
        spans.CheckApart();
        spans.CheckApartFrom(System.Runtime.InteropServices.MemoryMarshal.AsBytes(targets), nameof(targets));
        CrossEntropy.CheckWeight(weight, classCount);
        CrossEntropy.CheckSmoothing(labelSmoothing);
        CrossEntropySlices.CheckOptions<T>(double.CreateTruncating(labelSmoothing), zLoss, softCap);
        if (zLoss != 0 && !weight.IsEmpty && reduction == Reduction.Mean)
        {
            throw new ArgumentException("z-loss with class weights and Reduction.Mean is not supported: the cross-entropy's divisor is Σ w[t] and the z-loss's is the token count. Use Reduction.Sum and divide yourself.", nameof(zLoss));
        }
        if (maxBufferElements < classCount + 1L)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBufferElements), maxBufferElements,
                $"The buffer must hold at least one token's {classCount} logits and its loss ({classCount + 1L} elements).");
        }
        RowDriver.CheckParallelism(maxDegreeOfParallelism);

        // Validates every target before anything is written, and gives the Mean divisor of the whole batch.
        double divisor = CrossEntropy.Divisor(targets, classCount, weight, ignoreIndex);

        int chunkRows = Math.Max(1, Math.Min(tokens, maxBufferElements / (classCount + 1)));
        if (classCount <= RowDriver.BlockMaxClasses)
        {
            // Short rows go through the cross-entropy's 16-row block path, except the last block of a batch (it would
            // read past it), whose rows take the row path and round differently. Chunks of exactly 16 tokens whatever the
            // budget keep that choice, and so the bits, independent of the budget.
            chunkRows = Math.Min(chunkRows, 16);
        }
        else if (chunkRows >= 16)
        {
            chunkRows &= ~15;
        }
        if (tokens == 0)
        {
            linearWeightGradient.Clear();
            linearBiasGradient.Clear();
            return reduction == Reduction.Mean ? T.NaN : T.Zero;
        }

        var stage = new CrossEntropyRows<T>
        {
            Targets = targets,
            ClassCount = classCount,
            Losses = losses,
            Weight = weight,
            IgnoreIndex = ignoreIndex,
            LabelSmoothing = labelSmoothing,
            ZLoss = zLoss,
            SoftCap = softCap,
        };
        LinearHead<T>.Run(ref stage, hidden, linearWeight, linearBias, hiddenGradient, linearWeightGradient, linearBiasGradient,
            tokens, hiddenSize, classCount, chunkRows, scratchPerRow: 1, maxDegreeOfParallelism);

        if (reduction == Reduction.Mean && divisor != 0)
        {
            T scale = T.CreateTruncating(1.0 / divisor);
            ColumnSums<T>.Scale(hiddenGradient, scale, maxDegreeOfParallelism);
            ColumnSums<T>.Scale(linearWeightGradient, scale, maxDegreeOfParallelism);
            ColumnSums<T>.Scale(linearBiasGradient, scale, maxDegreeOfParallelism);
        }
        double total = stage.Total.Value;
        return T.CreateTruncating(reduction != Reduction.Mean ? total : divisor == 0 ? double.NaN : total / divisor);
    }

    /// <summary>The cross-entropy of a chunk: per-token losses (summed in token order) and their gradient in place.</summary>
    private ref struct CrossEntropyRows<T> : IChunkRows<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<int> Targets;
        public int ClassCount;
        public Span<T> Losses;
        public ReadOnlySpan<T> Weight;
        public int IgnoreIndex;
        public double LabelSmoothing;
        public double ZLoss;
        public double SoftCap;
        public CompensatedSum Total;

        public void Run(Span<T> logits, Span<T> scratch, int start, int rows, bool backward, int maxDegreeOfParallelism)
        {
            Span<T> rowLosses = Losses.IsEmpty ? scratch : Losses.Slice(start, rows);
            CrossEntropy.Forward<T>(logits, Targets.Slice(start, rows), ClassCount, backward ? logits : default, Reduction.None,
                rowLosses, Weight, IgnoreIndex, LabelSmoothing, ZLoss, SoftCap, maxDegreeOfParallelism);
            foreach (T loss in rowLosses)
            {
                Total.Add(double.CreateTruncating(loss));
            }
        }
    }
}
