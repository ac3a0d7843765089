using System.Numerics.Tensors;

namespace Losses.Demo.Training;

/// <summary>
/// A dense layer y = x·Wᵀ + b over a row-major batch ([rows, Inputs] → [rows, Outputs]) with its backward pass and a
/// plain SGD step. The demo's models are one or two of these: the point is the losses, not the network.
/// </summary>
internal sealed class Linear
{
    public Linear(int inputs, int outputs, Random random)
    {
        Inputs = inputs;
        Outputs = outputs;
        Weights = new float[inputs * outputs];
        Bias = new float[outputs];
        WeightGradient = new float[inputs * outputs];
        BiasGradient = new float[outputs];
        // Glorot-uniform initialisation from the caller's seeded generator.
        float limit = MathF.Sqrt(6f / (inputs + outputs));
        for (int i = 0; i < Weights.Length; i++)
        {
            Weights[i] = (float)((2 * random.NextDouble() - 1) * limit);
        }
    }

    public int Inputs { get; }

    public int Outputs { get; }

    public float[] Weights { get; }

    public float[] Bias { get; }

    public float[] WeightGradient { get; }

    public float[] BiasGradient { get; }

    public void Forward(ReadOnlySpan<float> x, int rows, Span<float> y)
    {
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> input = x.Slice(r * Inputs, Inputs);
            for (int o = 0; o < Outputs; o++)
            {
                y[r * Outputs + o] = Bias[o] + TensorPrimitives.Dot(input, Weights.AsSpan(o * Inputs, Inputs));
            }
        }
    }

    /// <summary>Sets the parameter gradients from dL/dy; writes dL/dx when <paramref name="inputGradient"/> is not empty.</summary>
    public void Backward(ReadOnlySpan<float> x, int rows, ReadOnlySpan<float> outputGradient, Span<float> inputGradient)
    {
        Array.Clear(WeightGradient);
        Array.Clear(BiasGradient);
        if (!inputGradient.IsEmpty)
        {
            inputGradient[..(rows * Inputs)].Clear();
        }
        for (int r = 0; r < rows; r++)
        {
            ReadOnlySpan<float> input = x.Slice(r * Inputs, Inputs);
            for (int o = 0; o < Outputs; o++)
            {
                float g = outputGradient[r * Outputs + o];
                Span<float> weightGradient = WeightGradient.AsSpan(o * Inputs, Inputs);
                TensorPrimitives.MultiplyAdd(input, g, weightGradient, weightGradient);
                BiasGradient[o] += g;
                if (!inputGradient.IsEmpty)
                {
                    Span<float> dx = inputGradient.Slice(r * Inputs, Inputs);
                    TensorPrimitives.MultiplyAdd(Weights.AsSpan(o * Inputs, Inputs), g, dx, dx);
                }
            }
        }
    }

    public void Step(float learningRate)
    {
        TensorPrimitives.MultiplyAdd(WeightGradient, -learningRate, Weights, Weights);
        TensorPrimitives.MultiplyAdd(BiasGradient, -learningRate, Bias, Bias);
    }

    public int[] Predict(Data.Dataset data)
    {
        var logits = new float[data.Rows * Outputs];
        Forward(data.Features, data.Rows, logits);
        return Argmax(logits, Outputs);
    }

    public static int[] Argmax(ReadOnlySpan<float> scores, int classCount)
    {
        var result = new int[scores.Length / classCount];
        for (int r = 0; r < result.Length; r++)
        {
            result[r] = TensorPrimitives.IndexOfMax(scores.Slice(r * classCount, classCount));
        }
        return result;
    }

    public static double Accuracy(int[] predicted, int[] labels) =>
        (double)predicted.Zip(labels).Count(p => p.First == p.Second) / labels.Length;
}
