using System.Numerics;
using Losses.Kernels;

namespace Losses;

/// <summary>The public boundary's shared steps: checks of the common shapes, then the hand-over to <see cref="RowDriver"/>.</summary>
internal static unsafe class Batch
{
    /// <summary>
    /// The single-row form of a per-row measure: its batch form on one row of max(length, 1) classes, on one thread, into a
    /// one-element destination; so the two agree to the bit (an empty row is no row, and gives 0).
    /// </summary>
    public static T OneRow<T, TOption>(ReadOnlySpan<T> first, TOption option, RowMeasure<T, TOption> batch)
        where T : unmanaged
    {
        Span<T> value = stackalloc T[1];
        batch(first, value, Math.Max(first.Length, 1), option, 1);
        return value[0];
    }

    /// <inheritdoc cref="OneRow{T, TOption}(ReadOnlySpan{T}, TOption, RowMeasure{T, TOption})"/>
    public static T OneRow<T, TOption>(ReadOnlySpan<T> first, ReadOnlySpan<T> second, TOption option, PairMeasure<T, TOption> batch)
        where T : unmanaged
    {
        Span<T> value = stackalloc T[1];
        batch(first, second, value, Math.Max(first.Length, 1), option, 1);
        return value[0];
    }

    /// <summary>Checks a batch of rows × classCount with one output of the same size that may be the input itself; returns the row count.</summary>
    public static int Rows<T>(ReadOnlySpan<T> input, Span<T> output, int classCount, int maxDegreeOfParallelism, string inputName, string outputName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(input.Length, classCount, inputName);
        Guard.DestinationLength(input.Length, output.Length, outputName);
        Guard.InPlaceOrApart<T>(input, output[..input.Length], inputName, outputName);
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        return rows;
    }

    /// <summary>Checks a batch with one value per row written to <paramref name="destination"/> (apart from every input); returns the row count.</summary>
    public static int PerRow<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> other, Span<T> destination, int classCount, int maxDegreeOfParallelism,
        string inputName, string otherName)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        Guard.FloatOrDouble<T>();
        int rows = Guard.Rows(input.Length, classCount, inputName);
        if (otherName.Length != 0)
        {
            Guard.SameLength(input.Length, other.Length, otherName, inputName);
            Guard.Apart<T>(other, destination[..Math.Min(rows, destination.Length)], otherName, nameof(destination));
        }
        Guard.DestinationLength(rows, destination.Length, nameof(destination));
        Guard.Apart<T>(input, destination[..rows], inputName, nameof(destination));
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        return rows;
    }

    /// <summary>
    /// Checks an information measure with one value per row in base <paramref name="logBase"/>: the shapes as
    /// <see cref="PerRow{T}"/>, then the base, then that <paramref name="input"/> (and, with <see cref="DistributionInputs.Both"/>,
    /// <paramref name="other"/>) holds probabilities or counts. Returns 1 / ln(<paramref name="logBase"/>), the op's scale.
    /// </summary>
    public static T PerRowInBase<T>(ReadOnlySpan<T> input, ReadOnlySpan<T> other, Span<T> destination, int classCount, double logBase,
        int maxDegreeOfParallelism, string inputName, string otherName, DistributionInputs distributions)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        PerRow(input, other, destination, classCount, maxDegreeOfParallelism, inputName, otherName);
        T scale = Guard.InverseLogOfBase<T>(logBase);
        if (distributions != DistributionInputs.None)
        {
            Guard.Probabilities(input, inputName);
        }
        if (distributions == DistributionInputs.Both)
        {
            Guard.Probabilities(other, otherName);
        }
        return scale;
    }

    /// <summary>Runs <paramref name="op"/> over one row of <paramref name="length"/> and returns its value (zero for an empty row).</summary>
    public static T One<T, TOp>(in TOp op, int length)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        if (length == 0)
        {
            return T.Zero;
        }
        T value = T.Zero;
        RowDriver.Run<T, TOp>(in op, 1, length, &value, 1);
        return value;
    }

    /// <summary>
    /// A forward pass over rows: checks <c>logits</c> (rows × classCount) and <c>destination</c> (at least as long, exactly
    /// the logits or apart), then runs <typeparamref name="TOp"/> on the two.
    /// </summary>
    public static void Forward<T, TOp>(ReadOnlySpan<T> logits, Span<T> destination, int classCount, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IPinnedOp<T, TOp>
    {
        Rows(logits, destination, classCount, maxDegreeOfParallelism, nameof(logits), nameof(destination));
        Run(default(TOp), logits, destination, default, default, classCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// A backward pass over rows: checks <c>output</c> and <c>outputGradient</c> (rows × classCount) and <c>inputGradient</c>
    /// (at least as long, each input exactly or apart), then runs <typeparamref name="TOp"/> on the three.
    /// </summary>
    public static void Backward<T, TOp>(ReadOnlySpan<T> output, ReadOnlySpan<T> outputGradient, Span<T> inputGradient, int classCount, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IPinnedOp<T, TOp>
    {
        Rows(output, inputGradient, classCount, maxDegreeOfParallelism, nameof(output), nameof(inputGradient));
        Guard.SameLength(output.Length, outputGradient.Length, nameof(outputGradient), nameof(output));
        Guard.InPlaceOrApart<T>(outputGradient, inputGradient[..output.Length], nameof(outputGradient), nameof(inputGradient));
        Run(default(TOp), output, outputGradient, inputGradient, default, classCount, maxDegreeOfParallelism);
    }

    /// <summary>
    /// An output of an elementwise loss: at least as long as <paramref name="input"/> (returned cut to its length); the input
    /// and the target may be the output itself when <paramref name="inPlace"/>, else apart from it, as the weights must be.
    /// </summary>
    private static Span<T> ElementwiseOutput<T>(Span<T> output, string outputName, bool inPlace, ReadOnlySpan<T> input, ReadOnlySpan<T> target,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> perClass, string inputName, string targetName)
    {
        Guard.DestinationLength(input.Length, output.Length, outputName);
        output = output[..input.Length];
        if (inPlace)
        {
            Guard.InPlaceOrApart<T>(input, output, inputName, outputName);
            Guard.InPlaceOrApart<T>(target, output, targetName, outputName);
        }
        else
        {
            Guard.Apart<T>(input, output, inputName, outputName);
            Guard.Apart<T>(target, output, targetName, outputName);
        }
        Guard.Apart<T>(weight, output, "weight", outputName);
        Guard.Apart<T>(perClass, output, "posWeight", outputName);
        return output;
    }

    /// <summary>
    /// Pins up to three row-major spans of <paramref name="classCount"/> columns (the op's inputs and outputs, in its order;
    /// empty where unused), builds <paramref name="op"/> on them and runs it over the rows of <paramref name="first"/>,
    /// one value per row to <paramref name="values"/> unless it is empty. Arguments are checked by the caller.
    /// </summary>
    public static double Run<T, TOp>(in TOp op, ReadOnlySpan<T> first, ReadOnlySpan<T> second, ReadOnlySpan<T> third, Span<T> values,
        int classCount, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IPinnedOp<T, TOp>
    {
        fixed (T* x = first)
        fixed (T* y = second)
        fixed (T* z = third)
        fixed (T* v = values)
        {
            TOp pinned = op.On(x, y, z, classCount);
            return RowDriver.Run<T, TOp>(in pinned, first.Length / classCount, classCount, values.IsEmpty ? null : v, maxDegreeOfParallelism);
        }
    }

    /// <summary>
    /// Runs a loss op (built on its pinned inputs and outputs) over <paramref name="rows"/>, each row's loss to
    /// <paramref name="losses"/> with <see cref="Reduction.None"/>, and returns the total reduced by
    /// <paramref name="divisor"/> as <paramref name="reduction"/> says. Arguments are checked by the caller.
    /// </summary>
    public static T Reduce<T, TOp>(in TOp op, int rows, int classCount, Span<T> losses, Reduction reduction, double divisor, int maxDegreeOfParallelism)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TOp : struct, IRowOp<T>
    {
        fixed (T* l = losses)
        {
            double total = RowDriver.Run<T, TOp>(in op, rows, classCount, reduction == Reduction.None ? l : null, maxDegreeOfParallelism);
            return T.CreateTruncating(Reductions.Apply(total, reduction, divisor));
        }
    }

    /// <summary>
    /// An elementwise loss: checks the common arguments and the overlap rule (input and target may be the gradient in
    /// place; losses, weight and the per-class vector must be apart from the outputs), pins, and runs the driver.
    /// </summary>
    public static T Elementwise<T, TLoss>(ReadOnlySpan<T> input, ReadOnlySpan<T> target, Span<T> gradient, Reduction reduction, Span<T> losses,
        ReadOnlySpan<T> weight, ReadOnlySpan<T> perClass, TLoss loss, int batchRows, int maxDegreeOfParallelism, string inputName, string targetName)
        where T : unmanaged, IFloatingPointIeee754<T>
        where TLoss : struct, IElementwiseLoss<T>
    {
        int n = input.Length;
        Guard.SameLength(n, target.Length, targetName, inputName);
        RowDriver.CheckParallelism(maxDegreeOfParallelism);
        if (!weight.IsEmpty)
        {
            Guard.SameLength(n, weight.Length, "weight", inputName);
        }
        if (!gradient.IsEmpty)
        {
            gradient = ElementwiseOutput(gradient, nameof(gradient), inPlace: true, input, target, weight, perClass, inputName, targetName);
        }
        if (reduction == Reduction.None)
        {
            losses = ElementwiseOutput(losses, nameof(losses), inPlace: false, input, target, weight, perClass, inputName, targetName);
            Guard.Apart<T>(gradient, losses, nameof(gradient), nameof(losses));
        }
        double divisor = reduction switch
        {
            Reduction.Mean => n,
            Reduction.BatchMean => batchRows,
            _ => 1,
        };

        // A short per-class vector (posWeight of a few classes) is tiled over whole rows up to TileLength elements, so that
        // blocks hold many rows and run the vector body (a block of one short row would run one lane at a time).
        int blockLength = perClass.IsEmpty ? Math.Max(1, Math.Min(n, ElementwiseOp<T, TLoss>.DefaultBlock)) : perClass.Length;
        scoped ReadOnlySpan<T> classes = perClass;
        Span<T> tile = stackalloc T[perClass.IsEmpty || perClass.Length >= ElementwiseOp<T, TLoss>.TileLength ? 0 : ElementwiseOp<T, TLoss>.TileLength];
        if (!tile.IsEmpty)
        {
            blockLength = perClass.Length * (ElementwiseOp<T, TLoss>.TileLength / perClass.Length);
            for (int at = 0; at < blockLength; at += perClass.Length)
            {
                perClass.CopyTo(tile[at..]);
            }
            classes = tile[..blockLength];
        }

        fixed (T* x = input)
        fixed (T* y = target)
        fixed (T* w = weight)
        fixed (T* p = classes)
        fixed (T* g = gradient)
        fixed (T* l = losses)
        {
            var op = new ElementwiseOp<T, TLoss>
            {
                Input = x,
                Target = y,
                Weight = weight.IsEmpty ? null : w,
                PerClass = perClass.IsEmpty ? null : p,
                Gradient = gradient.IsEmpty ? null : g,
                Losses = reduction == Reduction.None ? l : null,
                Length = n,
                BlockLength = blockLength,
                GradientScale = T.CreateTruncating(Reductions.GradientScale(reduction, divisor)),
                Loss = loss,
            };
            double total = RowDriver.Run<T, ElementwiseOp<T, TLoss>>(in op, op.Blocks, op.BlockLength, null, maxDegreeOfParallelism);
            return T.CreateTruncating(total / divisor);
        }
    }
}

/// <summary>The batch form of a per-row measure of one batch of rows (<see cref="Batch.OneRow{T, TOption}(ReadOnlySpan{T}, TOption, RowMeasure{T, TOption})"/>).</summary>
internal delegate void RowMeasure<T, TOption>(ReadOnlySpan<T> first, Span<T> destination, int classCount, TOption option, int maxDegreeOfParallelism);

/// <summary>The batch form of a per-row measure of two batches of rows (<see cref="Batch.OneRow{T, TOption}(ReadOnlySpan{T}, ReadOnlySpan{T}, TOption, PairMeasure{T, TOption})"/>).</summary>
internal delegate void PairMeasure<T, TOption>(ReadOnlySpan<T> first, ReadOnlySpan<T> second, Span<T> destination, int classCount, TOption option, int maxDegreeOfParallelism);

/// <summary>Which inputs of <see cref="Batch.PerRowInBase{T}"/> must be probabilities (or counts): finite and ≥ 0.</summary>
internal enum DistributionInputs
{
    /// <summary>Neither (logits).</summary>
    None,

    /// <summary>The first input only (the second, if any, is logits).</summary>
    First,

    /// <summary>Both inputs.</summary>
    Both,
}
