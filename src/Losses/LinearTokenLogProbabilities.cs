using System.Numerics;
using Losses.Kernels;
using Losses.Kernels.MatMul;

namespace Losses;

/// <summary>
/// The fused LM head for policy-gradient training (PPO, GRPO): per token, the log-probability log softmax(H·Wᵀ + b)[t] of
/// its target and the entropy of that softmax, and, for upstream gradients of both, ∂H, ∂W and ∂b — without ever holding
/// the [tokens × classCount] logits. <see cref="TokenLogProbabilities"/> on logits computed a chunk of tokens at a time,
/// as <see cref="LinearCrossEntropy"/> does for the loss.
/// </summary>
/// <remarks>
/// <para>Per token i with logits zᵢ = Hᵢ·Wᵀ + b, capped z̃ = c·tanh(z/c) (or z when <c>softCap</c> = +∞) and
/// p = softmax(z̃ᵢ): log pₜ = z̃ₜ − log Σⱼ exp(z̃ⱼ), entropy Hᵢ = −Σⱼ pⱼ log pⱼ — as PyTorch's
/// <c>F.linear(H, W, b).log_softmax(-1).gather(-1, t)</c> and <c>-(softmax * log_softmax).sum(-1)</c>. For upstream
/// gradients αᵢ = ∂L/∂log pₜ and βᵢ = ∂L/∂Hᵢ, the gradient of the logits is
/// Gᵢⱼ = cap′(zᵢⱼ)·(αᵢ·[j = tᵢ] − pⱼ·(αᵢ + βᵢ·Hᵢ + βᵢ·log pⱼ)), and ∂H = G·W, ∂W = Gᵀ·H, ∂b = Σᵢ Gᵢ.</para>
/// <para>How: the tokens go in chunks whose logits fit a buffer of at most <c>maxBufferElements</c> elements. Per chunk:
/// logits = b + H_chunk·Wᵀ (<see cref="MatrixMultiply"/>); the row math of <see cref="TokenLogProbabilities"/> (a max
/// pass, and one pass with one exp per element for log pₜ and Hᵢ; with gradients, one more exp pass writing G over the
/// logits); then ∂H_chunk = G·W, ∂W += Gᵀ·H_chunk, ∂b += Σ G before the next chunk.</para>
/// <para>Use: the upstream gradients of PPO's clipped objective depend on the log-probabilities (through the ratio
/// exp(log p − log p_old)), so a training step calls <see cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, int, Span{T}, ReadOnlySpan{T}, int, double, int, int)"/>
/// (one product), computes α and β, then <see cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, int, double, int, int)"/>
/// (three products; the logits are computed again rather than stored). When α and β do not depend on the outputs
/// (REINFORCE, GRPO without clipping: α = −advantage/N; an entropy bonus: β = −coefficient/N), Backward alone is the
/// forward and backward pass in one call: it writes log pₜ and Hᵢ too.</para>
/// <para>Determinism: every output is bitwise the same for any <c>maxBufferElements</c> and any
/// <c>maxDegreeOfParallelism</c>, and bitwise the same as materialising the logits (b, then +H·Wᵀ with
/// <see cref="MatrixMultiply"/>), calling <see cref="TokenLogProbabilities"/> and then the three products: rows do not
/// depend on their chunk, and ∂W and ∂b are each one chain over the tokens in order. The log pₜ and Hᵢ that Backward
/// writes come from the two-pass row statistics its gradient needs (the row's maximum first), Forward's from one pass
/// with a running maximum (as <see cref="TokenLogProbabilities"/>' forward): the two agree within a few ulp, not
/// bitwise.</para>
/// <para>Accuracy: logits are FMA chains of hiddenSize terms; log pₜ and Hᵢ are accumulated per lane with compensation and
/// combined in double (a few ulp of the row); ∂W and ∂H are chains of tokens and classCount terms.</para>
/// <para>Edge cases: a −∞ bias masks a class: p = 0, it adds 0 to the entropy and to the gradients (PyTorch's
/// <c>-(softmax * log_softmax).sum()</c> gives NaN there; this gives the limit 0·log 0 = 0). A masked target has log pₜ = −∞
/// and gradient αᵢ at its logit. Tokens whose target is the ignore index get log pₜ = 0, Hᵢ = 0 and add nothing to the
/// gradients (padding). A NaN in a token's logits makes that token's outputs NaN. Zero tokens: nothing is written but
/// ∂W = 0 and ∂b = 0.</para>
/// <para>Memory: the logits buffer (chunk rows × classCount elements, shared with <see cref="LinearCrossEntropy"/>; a call
/// made while another holds it allocates its own) is kept for the next call, and the matrix product's packing buffers (about 2.2 MB per thread for float) likewise; nothing else is
/// allocated on one thread. With <c>maxDegreeOfParallelism</c> ≠ 1 the task machinery is allocated.</para>
/// </remarks>
/// <example>
/// <code>
/// // 2 tokens, hidden size 3, vocabulary 4: log-probabilities and entropies, then the gradients for a policy loss.
/// float[] h = [0.5f, -1f, 2f, 1f, 0f, -0.5f];
/// float[] w = [0.1f, 0.2f, 0.3f, -0.2f, 0.1f, 0f, 0.3f, -0.1f, 0.2f, 0f, 0f, 1f];
/// int[] sampled = [3, 0];
/// var logProbs = new float[2];
/// var entropy = new float[2];
/// LinearTokenLogProbabilities.Forward&lt;float&gt;(h, w, sampled, logProbs, hiddenSize: 3, classCount: 4, entropy);
/// float[] dLogProbs = [-0.5f, 0.25f], dEntropy = [-0.01f, -0.01f];   // from the objective
/// var dh = new float[h.Length];
/// var dw = new float[w.Length];
/// LinearTokenLogProbabilities.Backward&lt;float&gt;(h, w, sampled, dLogProbs, dEntropy, 3, 4, hiddenGradient: dh, linearWeightGradient: dw);
/// </code>
/// </example>
/// <seealso cref="TokenLogProbabilities"/>
/// <seealso cref="LinearCrossEntropy"/>
/// <seealso cref="MatrixMultiply"/>
public static class LinearTokenLogProbabilities
{
    /// <summary>log softmax(H·Wᵀ + b)[t] per token, and optionally the entropy of that softmax.</summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="hidden">H: tokens × hiddenSize hidden states, row-major (tokens = targets.Length).</param>
    /// <param name="linearWeight">W: classCount × hiddenSize, row-major (PyTorch's <c>nn.Linear.weight</c>).</param>
    /// <param name="targets">One class index in [0, classCount) per token (the sampled token), or <paramref name="ignoreIndex"/>.</param>
    /// <param name="logProbabilities">At least tokens long: receives log pₜ per token.</param>
    /// <param name="hiddenSize">Columns of H and of W, positive.</param>
    /// <param name="classCount">The vocabulary: rows of W, positive.</param>
    /// <param name="entropy">Empty, or at least tokens long: receives the entropy per token (nats).</param>
    /// <param name="linearBias">Empty, or classCount biases (−∞ masks a class).</param>
    /// <param name="ignoreIndex">Tokens with this target get 0 (default −100).</param>
    /// <param name="softCap">c &gt; 0: logits are soft-capped to c·tanh(x/c) before the softmax (Gemma 2: 30); +∞ (default) for none.</param>
    /// <param name="maxBufferElements">Cap on the logits buffer in elements; at least classCount (one token). Default <see cref="LinearCrossEntropy.DefaultMaxBufferElements"/>.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same.</param>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, classCount) and not the ignore index (the message gives its
    /// index); hiddenSize, classCount, softCap, maxBufferElements or maxDegreeOfParallelism is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length disagrees with the shapes, or a destination overlaps an input or another
    /// destination; nothing is written.</exception>
    public static void Forward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<int> targets, Span<T> logProbabilities,
        int hiddenSize, int classCount, Span<T> entropy = default, ReadOnlySpan<T> linearBias = default, int ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxBufferElements = LinearCrossEntropy.DefaultMaxBufferElements, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(hidden, linearWeight, new TargetSpan(targets), hiddenSize, classCount, default, default, linearBias, default, default, default,
            logProbabilities, entropy, forward: true, ignoreIndex, softCap, maxBufferElements, maxDegreeOfParallelism);

    /// <summary>log softmax(H·Wᵀ + b)[t] and entropies, with int64 targets (PyTorch's <c>torch.long</c>); bitwise the same as with int32.</summary>
    /// <inheritdoc cref="Forward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, Span{T}, int, int, Span{T}, ReadOnlySpan{T}, int, double, int, int)"/>
    public static void Forward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<long> targets, Span<T> logProbabilities,
        int hiddenSize, int classCount, Span<T> entropy = default, ReadOnlySpan<T> linearBias = default, long ignoreIndex = -100,
        double softCap = double.PositiveInfinity, int maxBufferElements = LinearCrossEntropy.DefaultMaxBufferElements, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(hidden, linearWeight, new TargetSpan(targets), hiddenSize, classCount, default, default, linearBias, default, default, default,
            logProbabilities, entropy, forward: true, ignoreIndex, softCap, maxBufferElements, maxDegreeOfParallelism);

    /// <summary>
    /// ∂H, ∂W and ∂b of L = Σᵢ αᵢ·log pₜ + βᵢ·Hᵢ for upstream gradients α = ∂L/∂log pₜ and β = ∂L/∂Hᵢ per token; and, in the
    /// same call, log pₜ and Hᵢ themselves when asked.
    /// </summary>
    /// <typeparam name="T"><see cref="float"/> or <see cref="double"/>.</typeparam>
    /// <param name="hidden">H: tokens × hiddenSize hidden states, row-major (tokens = targets.Length).</param>
    /// <param name="linearWeight">W: classCount × hiddenSize, row-major.</param>
    /// <param name="targets">The targets given to Forward.</param>
    /// <param name="logProbabilityGradient">Empty (α = 0), or tokens long: α = ∂L/∂log pₜ per token.</param>
    /// <param name="entropyGradient">Empty (β = 0), or tokens long: β = ∂L/∂Hᵢ per token.</param>
    /// <param name="hiddenSize">Columns of H and of W, positive.</param>
    /// <param name="classCount">The vocabulary: rows of W, positive.</param>
    /// <param name="linearBias">Empty, or classCount biases, as given to Forward.</param>
    /// <param name="hiddenGradient">Empty, or tokens × hiddenSize: receives ∂L/∂H.</param>
    /// <param name="linearWeightGradient">Empty, or classCount × hiddenSize: receives ∂L/∂W (overwritten, not accumulated).</param>
    /// <param name="linearBiasGradient">Empty, or classCount: receives ∂L/∂b.</param>
    /// <param name="logProbabilities">Empty, or at least tokens long: receives log pₜ, as Forward would.</param>
    /// <param name="entropy">Empty, or at least tokens long: receives Hᵢ, as Forward would.</param>
    /// <param name="ignoreIndex">Tokens with this target add nothing to the gradients (default −100).</param>
    /// <param name="softCap">c as given to Forward.</param>
    /// <param name="maxBufferElements">Cap on the logits buffer in elements; at least classCount.</param>
    /// <param name="maxDegreeOfParallelism">1 (default) for one thread, n for up to n threads, −1 for all cores; the result is the same.</param>
    /// <exception cref="ArgumentOutOfRangeException">A target is outside [0, classCount) and not the ignore index (the message gives its
    /// index); hiddenSize, classCount, softCap, maxBufferElements or maxDegreeOfParallelism is out of range.</exception>
    /// <exception cref="ArgumentException">A span's length disagrees with the shapes, or a destination overlaps an input or another
    /// destination; nothing is written.</exception>
    public static void Backward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<int> targets,
        ReadOnlySpan<T> logProbabilityGradient, ReadOnlySpan<T> entropyGradient, int hiddenSize, int classCount, ReadOnlySpan<T> linearBias = default,
        Span<T> hiddenGradient = default, Span<T> linearWeightGradient = default, Span<T> linearBiasGradient = default,
        Span<T> logProbabilities = default, Span<T> entropy = default, int ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxBufferElements = LinearCrossEntropy.DefaultMaxBufferElements, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(hidden, linearWeight, new TargetSpan(targets), hiddenSize, classCount, logProbabilityGradient, entropyGradient, linearBias,
            hiddenGradient, linearWeightGradient, linearBiasGradient, logProbabilities, entropy, forward: false, ignoreIndex, softCap,
            maxBufferElements, maxDegreeOfParallelism);

    /// <summary>The gradients for upstream gradients, with int64 targets; bitwise the same as with int32.</summary>
    /// <inheritdoc cref="Backward{T}(ReadOnlySpan{T}, ReadOnlySpan{T}, ReadOnlySpan{int}, ReadOnlySpan{T}, ReadOnlySpan{T}, int, int, ReadOnlySpan{T}, Span{T}, Span{T}, Span{T}, Span{T}, Span{T}, int, double, int, int)"/>
    public static void Backward<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, ReadOnlySpan<long> targets,
        ReadOnlySpan<T> logProbabilityGradient, ReadOnlySpan<T> entropyGradient, int hiddenSize, int classCount, ReadOnlySpan<T> linearBias = default,
        Span<T> hiddenGradient = default, Span<T> linearWeightGradient = default, Span<T> linearBiasGradient = default,
        Span<T> logProbabilities = default, Span<T> entropy = default, long ignoreIndex = -100, double softCap = double.PositiveInfinity,
        int maxBufferElements = LinearCrossEntropy.DefaultMaxBufferElements, int maxDegreeOfParallelism = 1)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        Run(hidden, linearWeight, new TargetSpan(targets), hiddenSize, classCount, logProbabilityGradient, entropyGradient, linearBias,
            hiddenGradient, linearWeightGradient, linearBiasGradient, logProbabilities, entropy, forward: false, ignoreIndex, softCap,
            maxBufferElements, maxDegreeOfParallelism);

    private static void Run<T>(ReadOnlySpan<T> hidden, ReadOnlySpan<T> linearWeight, TargetSpan targets, int hiddenSize, int classCount,
        ReadOnlySpan<T> logProbabilityGradient, ReadOnlySpan<T> entropyGradient, ReadOnlySpan<T> linearBias, Span<T> hiddenGradient,
        Span<T> linearWeightGradient, Span<T> linearBiasGradient, Span<T> logProbabilities, Span<T> entropy, bool forward, long ignoreIndex,
        double softCap, int maxBufferElements, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int tokens = targets.Length;
        var spans = LinearHead<T>.CheckShapes(hidden, linearWeight, linearBias, hiddenGradient, linearWeightGradient, linearBiasGradient,
            tokens, hiddenSize, classCount);
        if (forward || !logProbabilities.IsEmpty)
        {
            Guard.DestinationLength(tokens, logProbabilities.Length, nameof(logProbabilities));
        }
        if (!entropy.IsEmpty)
        {
            Guard.DestinationLength(tokens, entropy.Length, nameof(entropy));
        }
        if (!logProbabilityGradient.IsEmpty)
        {
            Guard.SameLength(tokens, logProbabilityGradient.Length, nameof(logProbabilityGradient), "targets");
        }
        if (!entropyGradient.IsEmpty)
        {
            Guard.SameLength(tokens, entropyGradient.Length, nameof(entropyGradient), "targets");
        }
        spans.Input(logProbabilityGradient, nameof(logProbabilityGradient));
        spans.Input(entropyGradient, nameof(entropyGradient));
        spans.Destination(logProbabilities, nameof(logProbabilities));
        spans.Destination(entropy, nameof(entropy));
        spans.CheckApart();
        spans.CheckApartFrom(targets.Bytes, "targets");
        CrossEntropySlices.CheckOptions<T>(0, 0, softCap);
        if (maxBufferElements < classCount)
        {
            throw new ArgumentOutOfRangeException(nameof(maxBufferElements), maxBufferElements,
                $"The buffer must hold at least one token's {classCount} logits.");
        }
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        targets.Check(classCount, ignoreIndex, nameof(targets));

        if (tokens == 0)
        {
            linearWeightGradient.Clear();
            linearBiasGradient.Clear();
            return;
        }
        var stage = new TokenRows<T>
        {
            Targets32 = targets.Int32,
            Targets64 = targets.Int64,
            IgnoreIndex = ignoreIndex,
            ClassCount = classCount,
            SoftCap = softCap,
            LogProbabilities = logProbabilities,
            Entropy = entropy,
            LogProbabilityGradient = logProbabilityGradient,
            EntropyGradient = entropyGradient,
        };
        int chunkRows = Math.Min(tokens, maxBufferElements / classCount);
        LinearHead<T>.Run(ref stage, hidden, linearWeight, linearBias, hiddenGradient, linearWeightGradient, linearBiasGradient,
            tokens, hiddenSize, classCount, chunkRows, scratchPerRow: 0, maxDegreeOfParallelism);
    }

    /// <summary>A chunk's log-probabilities and entropies and, for the backward pass, their gradient in place: <see cref="TokenLogProbabilities"/>' row op.</summary>
    private ref struct TokenRows<T> : IChunkRows<T>
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        public ReadOnlySpan<int> Targets32;
        public ReadOnlySpan<long> Targets64;
        public long IgnoreIndex;
        public int ClassCount;
        public double SoftCap;
        public Span<T> LogProbabilities;
        public Span<T> Entropy;
        public ReadOnlySpan<T> LogProbabilityGradient;
        public ReadOnlySpan<T> EntropyGradient;

        public readonly unsafe void Run(Span<T> logits, Span<T> scratch, int start, int rows, bool backward, int maxDegreeOfParallelism)
        {
            fixed (T* x = logits)
            fixed (int* t32 = Targets32)
            fixed (long* t64 = Targets64)
            fixed (T* lp = LogProbabilities)
            fixed (T* h = Entropy)
            fixed (T* dlp = LogProbabilityGradient)
            fixed (T* dh = EntropyGradient)
            {
                var op = VocabularySliceOp<T, T, T>.Of(SliceMode.Token, x, ClassCount, ClassCount, 0, SoftCap) with
                {
                    Targets32 = t32 == null ? null : t32 + start,
                    Targets64 = t64 == null ? null : t64 + start,
                    IgnoreIndex = IgnoreIndex,
                    SliceWeightSum = ClassCount,
                    Entropy = h == null ? null : h + start,
                    Gradient = backward ? x : null,
                    LogProbabilityGradient = dlp == null ? null : dlp + start,
                    EntropyGradient = dh == null ? null : dh + start,
                };
                RowDriver.Run<T, VocabularySliceOp<T, T, T>>(in op, rows, ClassCount, lp == null ? null : lp + start, maxDegreeOfParallelism);
            }
        }
    }
}
