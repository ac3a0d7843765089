using System.Numerics.Tensors;

namespace Losses.Demo.Training;

/// <summary>
/// A small word-level language model in the manner of Bengio et al. (2003): the embeddings of the previous
/// <see cref="Context"/> tokens, concatenated → tanh hidden layer → output layer over the vocabulary (the "LM head"),
/// trained with plain SGD on the library's cross-entropy. The output weights are stored [hidden × vocabulary] so that a
/// row of logits is a sum of <see cref="Hidden"/> scaled weight rows (vectorised axpy), and can be quantised on their own.
/// </summary>
internal sealed class WordLanguageModel
{
    public const int Context = 3;
    public const int Embedding = 24;
    public const int Hidden = 40;

    private readonly float[] _outputGradient;
    private readonly float[] _outputBiasGradient;

    public WordLanguageModel(int vocabulary, Random random)
    {
        Vocabulary = vocabulary;
        Embeddings = new float[vocabulary * Embedding];
        for (int i = 0; i < Embeddings.Length; i++)
        {
            Embeddings[i] = (float)((random.NextDouble() - 0.5) * 0.2);
        }
        HiddenLayer = new Linear(Context * Embedding, Hidden, random);
        Output = new float[vocabulary * Hidden];
        float limit = MathF.Sqrt(6f / (Hidden + vocabulary));
        for (int k = 0; k < Hidden; k++)
        {
            for (int c = 0; c < vocabulary; c++)
            {
                Output[c * Hidden + k] = (float)((2 * random.NextDouble() - 1) * limit);
            }
        }
        OutputBias = new float[vocabulary];
        _outputGradient = new float[Output.Length];
        _outputBiasGradient = new float[vocabulary];
    }

    public int Vocabulary { get; }

    /// <summary>λ of the z-loss λ·(log Z)² added to every token's loss (PaLM's value).</summary>
    public const double ZLoss = 1e-4;

    public float[] Embeddings { get; }

    public Linear HiddenLayer { get; }

    /// <summary>[Vocabulary × Hidden] (nn.Linear's layout): row c holds class c's weights.</summary>
    public float[] Output { get; }

    public float[] OutputBias { get; }

    /// <summary>The inputs for predicting tokens[start .. start + rows): each row the embeddings of the 3 tokens before.</summary>
    public void Inputs(int[] tokens, int start, int rows, Span<float> x)
    {
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < Context; c++)
            {
                int token = tokens[start + r - Context + c];
                Embeddings.AsSpan(token * Embedding, Embedding).CopyTo(x.Slice((r * Context + c) * Embedding, Embedding));
            }
        }
    }

    /// <summary>h = tanh(W·x + b).</summary>
    public void HiddenStates(ReadOnlySpan<float> x, int rows, Span<float> h)
    {
        HiddenLayer.Forward(x, rows, h);
        TensorPrimitives.Tanh(h[..(rows * Hidden)], h[..(rows * Hidden)]);
    }

    /// <summary>logits = bias + h·outputᵀ for each row (output: this model's weights or a quantised copy).</summary>
    public float[] Logits(ReadOnlySpan<float> h, int rows, float[] output, float[] logits)
    {
        int v = Vocabulary;
        for (int r = 0; r < rows; r++)
        {
            OutputBias.CopyTo(logits.AsSpan(r * v, v));
        }
        MatrixMultiply.MultiplyTransposedB<float>(h[..(rows * Hidden)], output, logits.AsSpan(0, rows * v), rows, v, Hidden, accumulate: true);
        return logits;
    }

    /// <summary>One SGD step on predicting tokens[start .. start + rows); returns the mean cross-entropy.</summary>
    public float TrainStep(int[] tokens, int start, int rows, float learningRate, Scratch s)
    {
        int v = Vocabulary;
        Span<float> x = s.Inputs.AsSpan(0, rows * Context * Embedding);
        Span<float> h = s.Hidden.AsSpan(0, rows * Hidden);
        Inputs(tokens, start, rows, x);
        HiddenStates(x, rows, h);
        // The output layer through the fused LM head: loss, ∂h, ∂W and ∂b without a [rows × vocabulary] logits buffer of
        // our own, and the PaLM z-loss keeping log Z near 0.
        Span<float> dh = s.HiddenGradient.AsSpan(0, rows * Hidden);
        float loss = LinearCrossEntropy.Forward<float>(h, Output, tokens.AsSpan(start, rows), Hidden, v, linearBias: OutputBias,
            hiddenGradient: dh, linearWeightGradient: _outputGradient, linearBiasGradient: _outputBiasGradient, zLoss: ZLoss);
        TensorPrimitives.MultiplyAdd(_outputGradient, -learningRate, Output, Output);
        TensorPrimitives.MultiplyAdd(_outputBiasGradient, -learningRate, OutputBias, OutputBias);

        // tanh' = 1 − tanh², then the hidden layer and the embeddings of the context tokens.
        for (int i = 0; i < dh.Length; i++)
        {
            dh[i] *= 1 - h[i] * h[i];
        }
        Span<float> dx = s.InputGradient.AsSpan(0, x.Length);
        HiddenLayer.Backward(x, rows, dh, dx);
        HiddenLayer.Step(learningRate);
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < Context; c++)
            {
                Span<float> e = Embeddings.AsSpan(tokens[start + r - Context + c] * Embedding, Embedding);
                TensorPrimitives.MultiplyAdd(dx.Slice((r * Context + c) * Embedding, Embedding), -learningRate, e, e);
            }
        }
        return loss;
    }

    /// <summary>Per-thread buffers for up to <paramref name="rows"/> rows.</summary>
    public sealed class Scratch(int rows, int vocabulary)
    {
        public float[] Inputs { get; } = new float[rows * Context * Embedding];

        public float[] InputGradient { get; } = new float[rows * Context * Embedding];

        public float[] Hidden { get; } = new float[rows * WordLanguageModel.Hidden];

        public float[] HiddenGradient { get; } = new float[rows * WordLanguageModel.Hidden];

        public float[] Logits { get; } = new float[rows * vocabulary];
    }

    /// <summary>A copy of the output weights rounded to Half (IEEE binary16).</summary>
    public float[] OutputAsHalf() => [.. Output.Select(w => (float)(Half)w)];

    /// <summary>A copy of the output weights quantised to 8 bits per class: w ≈ q·s_c, q ∈ [−127, 127], s_c = max_k |w[k, c]| / 127.</summary>
    public float[] OutputAsInt8()
    {
        int v = Vocabulary;
        var result = new float[Output.Length];
        for (int c = 0; c < v; c++)
        {
            float max = 0;
            for (int k = 0; k < Hidden; k++)
            {
                max = MathF.Max(max, MathF.Abs(Output[c * Hidden + k]));
            }
            float scale = max / 127;
            for (int k = 0; k < Hidden; k++)
            {
                result[c * Hidden + k] = scale == 0 ? 0 : MathF.Round(Output[c * Hidden + k] / scale) * scale;
            }
        }
        return result;
    }
}
