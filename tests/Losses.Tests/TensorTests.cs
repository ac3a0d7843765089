using System.Buffers;
using System.Numerics.Tensors;

namespace Losses.Tests;

/// <summary>
/// The tensor overloads are views: each gives bitwise the span overload's result on the same numbers, reads the class
/// count from the last dimension (rank 1 = one row, rank 3 = rows of rows), refuses strided tensors naming the argument
/// and its strides, and allocates nothing.
/// </summary>
public class TensorTests
{
    private const int Rows = 6, Classes = 7;

    private static float[] Random(int n, int seed, float scale = 3f)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1) * scale)];
    }

    private static float[] Distributions(int seed)
    {
        float[] p = Random(Rows * Classes, seed);
        Softmax.Forward<float>(p, p, Classes);
        return p;
    }

    private static Tensor<float> Matrix(float[] values) => Tensor.Create(values, [Rows, Classes]);

    private static Tensor<float> Column(int length) => Tensor.Create(new float[length], [length]);

    [Fact]
    public void Softmax_family_equals_the_span_overloads()
    {
        float[] x = Random(Rows * Classes, 1), dy = Random(Rows * Classes, 2);
        float[] expected = new float[x.Length], expectedGradient = new float[x.Length];

        Softmax.Forward<float>(x, expected, Classes);
        var y = Matrix(new float[x.Length]);
        Softmax.Forward<float>(Matrix(x), y);
        Assert.Equal(expected, y.ToArray());
        Softmax.Backward<float>(expected, dy, expectedGradient, Classes);
        var dx = Matrix(new float[x.Length]);
        Softmax.Backward<float>(y, Matrix(dy), dx);
        Assert.Equal(expectedGradient, dx.ToArray());

        LogSoftmax.Forward<float>(x, expected, Classes);
        LogSoftmax.Forward<float>(Matrix(x), y);
        Assert.Equal(expected, y.ToArray());
        LogSoftmax.Backward<float>(expected, dy, expectedGradient, Classes);
        LogSoftmax.Backward<float>(y, Matrix(dy), dx);
        Assert.Equal(expectedGradient, dx.ToArray());

        float[] lse = new float[Rows], upstream = Random(Rows, 3);
        LogSumExp.Forward<float>(x, lse, Classes);
        var lseTensor = Column(Rows);
        LogSumExp.Forward<float>(Matrix(x), lseTensor);
        Assert.Equal(lse, lseTensor.ToArray());
        LogSumExp.Backward<float>(x, lse, upstream, expectedGradient, Classes);
        LogSumExp.Backward<float>(Matrix(x), lseTensor, Tensor.Create(upstream, [Rows]), dx);
        Assert.Equal(expectedGradient, dx.ToArray());
    }

    [Fact]
    public void Cross_entropy_and_nll_equal_the_span_overloads_with_int_and_long_targets()
    {
        float[] x = Random(Rows * Classes, 4), weight = [.. Random(Classes, 5).Select(MathF.Abs)];
        int[] targets = [0, 6, -100, 3, 3, 1];
        long[] longTargets = [.. targets.Select(t => (long)t)];
        float[] expectedGradient = new float[x.Length], expectedLosses = new float[Rows];
        float expected = CrossEntropy.Forward<float>(x, targets, Classes, expectedGradient, Reduction.None, expectedLosses, weight,
            labelSmoothing: 0.1);

        foreach (bool int64 in new[] { false, true })
        {
            var gradient = Matrix(new float[x.Length]);
            var losses = Column(Rows);
            float loss = int64
                ? CrossEntropy.Forward<float>(Matrix(x), Tensor.Create(longTargets, [Rows]), gradient, Reduction.None, losses, weight, labelSmoothing: 0.1)
                : CrossEntropy.Forward<float>(Matrix(x), Tensor.Create(targets, [Rows]), gradient, Reduction.None, losses, weight, labelSmoothing: 0.1);
            // The tensor form is bitwise its span form; int64 targets run on the vocabulary-slice row op, which sums in
            // another order than the int op, so they agree to rounding, not bits.
            var spanGradient = new float[x.Length];
            var spanLosses = new float[Rows];
            float spanLoss = int64
                ? CrossEntropy.Forward<float>(x, longTargets, Classes, spanGradient, Reduction.None, spanLosses, weight, labelSmoothing: 0.1)
                : CrossEntropy.Forward<float>(x, targets, Classes, spanGradient, Reduction.None, spanLosses, weight, labelSmoothing: 0.1);
            Assert.Equal(spanLoss, loss);
            Assert.Equal(spanGradient, gradient.ToArray());
            Assert.Equal(spanLosses, losses.ToArray());
            Support.Approx.Equal(expected, spanLoss, 1e-5, 1e-6, "loss");
            Support.Approx.Equal<float>(expectedGradient, spanGradient, 1e-5, 1e-6, "gradient");
            Support.Approx.Equal<float>(expectedLosses, spanLosses, 1e-5, 1e-6, "losses");
        }

        float[] logProbabilities = new float[x.Length];
        LogSoftmax.Forward<float>(x, logProbabilities, Classes);
        float nll = NllLoss.Forward<float>(logProbabilities, targets, Classes, expectedGradient, weight: weight);
        var nllGradient = Matrix(new float[x.Length]);
        Assert.Equal(nll, NllLoss.Forward<float>(Matrix(logProbabilities), Tensor.Create(longTargets, [Rows]), nllGradient, weight: weight));
        Assert.Equal(expectedGradient, nllGradient.ToArray());
        Assert.Equal(nll, NllLoss.Forward<float>(logProbabilities, longTargets, Classes, weight: weight));
        Assert.Equal(nll, NllLoss.Forward<float>(Matrix(logProbabilities), Tensor.Create(targets, [Rows]), weight: weight));

        float[] soft = Distributions(6);
        float withProbabilities = CrossEntropy.ForwardWithProbabilities<float>(x, soft, Classes, expectedGradient, labelSmoothing: 0.2);
        var softGradient = Matrix(new float[x.Length]);
        Assert.Equal(withProbabilities, CrossEntropy.ForwardWithProbabilities<float>(Matrix(x), Matrix(soft), softGradient, labelSmoothing: 0.2));
        Assert.Equal(expectedGradient, softGradient.ToArray());
    }

    [Fact]
    public void Long_targets_check_every_row_and_map_an_ignore_index_beyond_int()
    {
        float[] x = Random(2 * 3, 7);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => CrossEntropy.Forward<float>(x, [1L, 3L], 3));
        Assert.Equal("targets", e.ParamName);
        Assert.Contains("targets[1] = 3", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentOutOfRangeException>(() => NllLoss.Forward<float>(x, [1L, 1L << 40], 3));
        Assert.Contains("targets[1] = 1099511627776", e.Message, StringComparison.Ordinal);

        const long farIgnore = long.MinValue;
        float ignored = CrossEntropy.Forward<float>(x, [1L, farIgnore], 3, ignoreIndex: farIgnore);
        Assert.Equal(CrossEntropy.Forward<float>(x.AsSpan(0, 3), [1L], 3), ignored);
        // int64 targets run on the vocabulary-slice op, int32 targets without a gradient on the normalizer (its cheaper term
        // exp): the same loss within a few ulp, not to the bit.
        Assert.Equal(CrossEntropy.Forward<float>(x, [1, 0], 3, ignoreIndex: 0), CrossEntropy.Forward<float>(x, [1L, 0L], 3, ignoreIndex: 0L), 4e-7f);

        float[] hidden = Random(3 * 4, 20), linearWeight = Random(5 * 4, 21);
        float[] dHidden = new float[hidden.Length], dHiddenLong = new float[hidden.Length];
        float linear = LinearCrossEntropy.Forward<float>(hidden, linearWeight, [4, -100, 0], 4, 5, hiddenGradient: dHidden, labelSmoothing: 0.1);
        Assert.Equal(linear, LinearCrossEntropy.Forward<float>(hidden, linearWeight, [4L, -100L, 0L], 4, 5, hiddenGradient: dHiddenLong, labelSmoothing: 0.1));
        Assert.Equal(dHidden, dHiddenLong);
    }

    [Fact]
    public void Divergences_and_entropies_equal_the_span_overloads()
    {
        float[] t = Random(Rows * Classes, 8), s = Random(Rows * Classes, 9), p = Distributions(10), q = Distributions(11);
        float[] expected = new float[Rows];
        var actual = Column(Rows);

        float[] expectedGradient = new float[t.Length];
        float distillation = KLDivergence.Distillation<float>(t, s, Classes, expectedGradient, temperature: 2, scaleByTemperatureSquared: true);
        var gradient = Matrix(new float[t.Length]);
        Assert.Equal(distillation, KLDivergence.Distillation<float>(Matrix(t), Matrix(s), gradient, temperature: 2, scaleByTemperatureSquared: true));
        Assert.Equal(expectedGradient, gradient.ToArray());
        Assert.Equal(distillation, KLDivergence.Distillation<float>(Matrix(t), Matrix(s), temperature: 2, scaleByTemperatureSquared: true));

        void Same(Action<float[]> span, Action<TensorSpan<float>> tensor)
        {
            span(expected);
            tensor(actual);
            Assert.Equal(expected, actual.ToArray());
        }

        Same(d => KLDivergence.FromLogits<float>(t, s, d, Classes, 3), d => KLDivergence.FromLogits<float>(Matrix(t), Matrix(s), d, 3));
        Same(d => KLDivergence.Of<float>(p, q, d, Classes, 2), d => KLDivergence.Of<float>(Matrix(p), Matrix(q), d, 2));
        Same(d => KLDivergence.FromCounts<float>(p, q, d, Classes), d => KLDivergence.FromCounts<float>(Matrix(p), Matrix(q), d));
        float[] logQ = [.. q.Select(v => MathF.Log(v))];
        Same(d => KLDivergence.FromLogProbabilities<float>(p, logQ, d, Classes), d => KLDivergence.FromLogProbabilities<float>(Matrix(p), Matrix(logQ), d));
        Same(d => Entropy.Of<float>(p, d, Classes), d => Entropy.Of<float>(Matrix(p), d));
        Same(d => Entropy.FromCounts<float>(p, d, Classes, 2), d => Entropy.FromCounts<float>(Matrix(p), d, 2));
        Same(d => Entropy.FromLogits<float>(t, d, Classes), d => Entropy.FromLogits<float>(Matrix(t), d));
        Same(d => Entropy.Perplexity<float>(p, d, Classes), d => Entropy.Perplexity<float>(Matrix(p), d));
        Same(d => Entropy.PerplexityFromLogits<float>(t, d, Classes), d => Entropy.PerplexityFromLogits<float>(Matrix(t), d));
        Same(d => Entropy.Cross<float>(p, q, d, Classes), d => Entropy.Cross<float>(Matrix(p), Matrix(q), d));
        Same(d => Entropy.CrossFromLogits<float>(p, s, d, Classes), d => Entropy.CrossFromLogits<float>(Matrix(p), Matrix(s), d));
        Same(d => JensenShannon.Divergence<float>(p, q, d, Classes), d => JensenShannon.Divergence<float>(Matrix(p), Matrix(q), d));
        Same(d => JensenShannon.Distance<float>(p, q, d, Classes, 2), d => JensenShannon.Distance<float>(Matrix(p), Matrix(q), d, 2));

        float kl = KLDivLoss.Forward<float>(logQ, p, Classes, expectedGradient);
        Assert.Equal(kl, KLDivLoss.Forward<float>(Matrix(logQ), Matrix(p), gradient));
        Assert.Equal(expectedGradient, gradient.ToArray());
    }

    [Fact]
    public void Elementwise_losses_equal_the_span_overloads_for_any_shape()
    {
        float[] x = Random(24, 12), y = Distributions(13)[..24], w = [.. Random(24, 14).Select(MathF.Abs)];
        var shape = new nint[] { 2, 3, 4 };
        Tensor<float> X = Tensor.Create(x, shape), Y = Tensor.Create(y, shape);
        float[] expectedGradient = new float[24];
        var gradient = Tensor.Create(new float[24], shape);

        void Same(float expected, float actual)
        {
            Assert.Equal(expected, actual);
            Assert.Equal(expectedGradient, gradient.ToArray());
        }

        Same(BinaryCrossEntropy.ForwardWithLogits<float>(x, y, expectedGradient, weight: w, posWeight: [2f, 1f, 0.5f, 3f]),
            BinaryCrossEntropy.ForwardWithLogits<float>(X, Y, gradient, weight: Tensor.Create(w, shape), posWeight: [2f, 1f, 0.5f, 3f]));
        Same(BinaryCrossEntropy.Forward<float>(y, y.Reverse().ToArray(), expectedGradient),
            BinaryCrossEntropy.Forward<float>(Y, Tensor.Create(y.Reverse().ToArray(), shape), gradient));
        Same(FocalLoss.Forward<float>(x, y, expectedGradient, alpha: 0.5, gamma: 1.5), FocalLoss.Forward<float>(X, Y, gradient, alpha: 0.5, gamma: 1.5));
        Same(MeanSquaredError.Forward<float>(x, y, expectedGradient, Reduction.Sum), MeanSquaredError.Forward<float>(X, Y, gradient, Reduction.Sum));
        Same(HuberLoss.Forward<float>(x, y, expectedGradient, delta: 0.5), HuberLoss.Forward<float>(X, Y, gradient, delta: 0.5));
        Same(SmoothL1Loss.Forward<float>(x, y, expectedGradient, beta: 0.5), SmoothL1Loss.Forward<float>(X, Y, gradient, beta: 0.5));
    }

    [Fact]
    public void Rank_one_is_one_row_and_rank_three_is_rows_of_rows()
    {
        float[] x = Random(2 * 3 * 5, 15);
        float[] expected = new float[x.Length];
        Softmax.Forward<float>(x, expected, 5);
        var y = Tensor.Create(new float[x.Length], [2, 3, 5]);
        Softmax.Forward<float>(Tensor.Create(x, [2, 3, 5]), y);
        Assert.Equal(expected, y.ToArray());

        float[] row = x[..5], one = new float[5];
        Softmax.Forward<float>(row, one);
        var oneTensor = Tensor.Create(new float[5], [5]);
        Softmax.Forward<float>(Tensor.Create(row, [5]), oneTensor);
        Assert.Equal(one, oneTensor.ToArray());
        Assert.Equal(LogSumExp.Forward<float>(row), LogSumExp.Forward<float>(row.AsSpan()));

        int[] tokens = [1, 4, 0, 2, 2, 3];
        Assert.Equal(CrossEntropy.Forward<float>(x, tokens, 5), CrossEntropy.Forward<float>(Tensor.Create(x, [2, 3, 5]), Tensor.Create(tokens, [2, 3])));
    }

    [Fact]
    public void Strided_tensors_are_refused_naming_the_argument_and_its_strides()
    {
        var wide = Tensor.Create(Random(Rows * 10, 16), [Rows, 10]);
        var targets = Tensor.Create(new int[Rows], [Rows]);
        Assert.Equal(new nint[] { 10, 1 }, wide.AsReadOnlyTensorSpan().Slice([new NRange(0, Rows), new NRange(0, Classes)]).Strides.ToArray());
        var e = Assert.Throws<ArgumentException>(() =>
            CrossEntropy.Forward<float>(wide.AsReadOnlyTensorSpan().Slice([new NRange(0, Rows), new NRange(0, Classes)]), targets));
        Assert.Equal("logits", e.ParamName);
        Assert.Contains("strides [10, 1]", e.Message, StringComparison.Ordinal);

        var destination = Tensor.Create(new float[Rows * 2], [Rows, 2]);
        var logits = Matrix(Random(Rows * Classes, 17));
        var d = Assert.Throws<ArgumentException>(() =>
            LogSumExp.Forward<float>(logits, destination.AsTensorSpan().Slice([new NRange(0, Rows), new NRange(0, 1)])));
        Assert.Equal("destination", d.ParamName);

        var noClasses = Assert.Throws<ArgumentException>(() => Softmax.Forward<float>(Tensor.Create(new float[0], [3, 0]), Tensor.Create(new float[0], [3, 0])));
        Assert.Equal("logits", noClasses.ParamName);
    }

    [Fact]
    public void A_row_slice_with_a_unit_stride_is_dense()
    {
        var batch = Tensor.Create(Random(Rows * Classes, 18), [Rows, Classes]);
        ReadOnlyTensorSpan<float> lastRows = batch.AsReadOnlyTensorSpan().Slice([new NRange(2, Rows), new NRange(0, Classes)]);
        float[] expected = new float[(Rows - 2) * Classes];
        Softmax.Forward<float>(batch.ToArray().AsSpan(2 * Classes), expected, Classes);
        var y = Tensor.Create(new float[expected.Length], [Rows - 2, Classes]);
        Softmax.Forward(lastRows, y);
        Assert.Equal(expected, y.ToArray());
    }

    [Fact]
    public void Tensor_overloads_and_long_targets_allocate_nothing()
    {
        var logits = Matrix(Random(Rows * Classes, 19));
        var targets = Tensor.Create(new long[] { 0, 1, 2, 3, 4, 5 }, [Rows]);
        var gradient = Matrix(new float[Rows * Classes]);
        var distribution = Column(Rows);
        Assert.Equal(0, Allocations.Of(() => CrossEntropy.Forward<float>(logits, targets, gradient, labelSmoothing: 0.1)));
        Assert.Equal(0, Allocations.Of(() => Entropy.FromLogits<float>(logits, distribution)));
        Assert.Equal(0, Allocations.Of(() => KLDivergence.Distillation<float>(logits, logits, gradient)));
    }

    /// <summary>A slice of the vocabulary as a tensor: a view of columns [offset, offset + width) of the whole logits
    /// tensor (rows 10 apart) or a dense shard give bitwise the span overload's partials, loss and gradient.</summary>
    [Fact]
    public void Vocabulary_slices_are_column_views_or_dense_shards()
    {
        const int classes = 10, width = 4;
        float[] x = Random(Rows * classes, 20);
        int[] targets = [0, 9, -100, 3, 4, 5];
        long[] longTargets = [.. targets.Select(t => (long)t)];
        var whole = Tensor.Create(x, [Rows, classes]);
        var wholeGradient = Tensor.Create(new float[x.Length], [Rows, classes]);
        ReadOnlyTensorSpan<float> Columns(int offset, int w) =>
            whole.AsReadOnlyTensorSpan().Slice([NRange.All, new NRange(offset, offset + w)]);
        TensorSpan<float> GradientColumns(int offset, int w) =>
            wholeGradient.AsTensorSpan().Slice([NRange.All, new NRange(offset, offset + w)]);

        // Span reference: two slices [0, 4) and [4, 10), rows 10 apart.
        var expected = new VocabularyPartial[Rows];
        var part = new VocabularyPartial[Rows];
        CrossEntropySlices.Forward<float>(x, targets, expected, classes, 0, width, stride: classes, softCap: 5);
        CrossEntropySlices.Forward<float>(x.AsSpan(width), targets, part, classes, width, classes - width, stride: classes, softCap: 5);
        CrossEntropySlices.Combine(part, expected);
        float[] expectedGradient = new float[x.Length];
        CrossEntropySlices.Backward<float>(x, expected, expectedGradient, classes, 0, width, stride: classes, zLoss: 1e-3, softCap: 5);
        CrossEntropySlices.Backward<float>(x.AsSpan(width), expected, expectedGradient.AsSpan(width), classes, width, classes - width,
            stride: classes, zLoss: 1e-3, softCap: 5);

        // Tensor views of the same columns, int and long targets.
        var combined = new VocabularyPartial[Rows];
        CrossEntropySlices.Forward<float>(Columns(0, width), Tensor.Create(targets, [Rows]), combined, classes, 0, softCap: 5);
        CrossEntropySlices.Forward<float>(Columns(width, classes - width), Tensor.Create(longTargets, [Rows]), part, classes, width, softCap: 5);
        CrossEntropySlices.Combine(part, combined);
        Assert.Equal(expected, combined);
        CrossEntropySlices.Backward<float>(Columns(0, width), combined, GradientColumns(0, width), classes, 0, zLoss: 1e-3, softCap: 5);
        CrossEntropySlices.Backward<float>(Columns(width, classes - width), combined, GradientColumns(width, classes - width), classes, width,
            zLoss: 1e-3, softCap: 5);
        Assert.Equal(expectedGradient, wholeGradient.ToArray());

        // A dense shard (a copy of the columns, as another process would hold it) gives the same partials.
        float[] shard = [.. Enumerable.Range(0, Rows).SelectMany(r => x.Skip(r * classes + width).Take(classes - width))];
        var fromShard = new VocabularyPartial[Rows];
        CrossEntropySlices.Forward<float>(Tensor.Create(shard, [Rows, classes - width]), Tensor.Create(targets, [Rows]), fromShard, classes, width, softCap: 5);
        Assert.Equal(part, fromShard);

        // Token log-probabilities from the combined partials, and the slice gradient for upstream gradients.
        float[] alpha = Random(Rows, 21), beta = Random(Rows, 22);
        float[] expectedTokenGradient = new float[x.Length];
        TokenLogProbabilities.BackwardSlice<float>(x, combined, alpha, beta, expectedTokenGradient, classes, 0, width, stride: classes, softCap: 5);
        TokenLogProbabilities.BackwardSlice<float>(x.AsSpan(width), combined, alpha, beta, expectedTokenGradient.AsSpan(width), classes, width,
            classes - width, stride: classes, softCap: 5);
        wholeGradient.AsTensorSpan().Clear();
        TokenLogProbabilities.BackwardSlice<float>(Columns(0, width), combined, Tensor.Create(alpha, [Rows]), Tensor.Create(beta, [Rows]),
            GradientColumns(0, width), classes, 0, softCap: 5);
        TokenLogProbabilities.BackwardSlice<float>(Columns(width, classes - width), combined, Tensor.Create(alpha, [Rows]), Tensor.Create(beta, [Rows]),
            GradientColumns(width, classes - width), classes, width, softCap: 5);
        Assert.Equal(expectedTokenGradient, wholeGradient.ToArray());
    }

    [Fact]
    public void Vocabulary_slices_refuse_a_gradient_laid_out_otherwise_and_a_row_count_that_differs()
    {
        const int classes = 10;
        var whole = Tensor.Create(Random(Rows * classes, 23), [Rows, classes]);
        var partials = new VocabularyPartial[Rows];
        CrossEntropySlices.Forward<float>(whole, Tensor.Create(new int[Rows], [Rows]), partials, classes, 0);
        ReadOnlyTensorSpan<float> Left() => whole.AsReadOnlyTensorSpan().Slice([NRange.All, new NRange(0, 4)]);
        var dense = Tensor.Create(new float[Rows * 4], [Rows, 4]);
        var e = Assert.Throws<ArgumentException>(() => CrossEntropySlices.Backward<float>(Left(), partials, dense, classes, 0));
        Assert.Equal("gradient", e.ParamName);
        Assert.Contains("laid out as logits", e.Message, StringComparison.Ordinal);

        var rows = Assert.Throws<ArgumentException>(() =>
            CrossEntropySlices.Forward<float>(Left(), Tensor.Create(new int[Rows - 1], [Rows - 1]), partials, classes, 0));
        Assert.Equal("logits", rows.ParamName);
        Assert.Contains($"{Rows} rows, but the other arguments give {Rows - 1}", rows.Message, StringComparison.Ordinal);

        float[] columnMajor = Random(Rows * classes, 24);
        var columns = Assert.Throws<ArgumentException>(() => CrossEntropySlices.Forward<float>(
            new ReadOnlyTensorSpan<float>(columnMajor, [Rows, classes], [1, Rows]), Tensor.Create(new int[Rows], [Rows]), partials, classes, 0));
        Assert.Contains("contiguous", columns.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Token_log_probabilities_equal_the_span_overloads_for_batch_and_sequence()
    {
        float[] x = Random(Rows * Classes, 25), alpha = Random(Rows, 26), beta = Random(Rows, 27);
        int[] targets = [0, 6, -100, 3, 3, 1];
        float[] logProbabilities = new float[Rows], entropy = new float[Rows], gradient = new float[x.Length];
        TokenLogProbabilities.Forward<float>(x, targets, logProbabilities, Classes, entropy, softCap: 2);
        TokenLogProbabilities.Backward<float>(x, targets, alpha, beta, gradient, Classes, softCap: 2);

        // [batch 2, sequence 3, vocabulary] logits and [2, 3] targets, int64 as TorchSharp gives them.
        var logits = Tensor.Create(x, [2, 3, Classes]);
        var t = Tensor.Create(targets.Select(v => (long)v).ToArray(), [2, 3]);
        var lp = Tensor.Create(new float[Rows], [2, 3]);
        var h = Tensor.Create(new float[Rows], [2, 3]);
        TokenLogProbabilities.Forward<float>(logits, t, lp, h, softCap: 2);
        Assert.Equal(logProbabilities, lp.ToArray());
        Assert.Equal(entropy, h.ToArray());
        var g = Tensor.Create(new float[x.Length], [2, 3, Classes]);
        TokenLogProbabilities.Backward<float>(logits, t, Tensor.Create(alpha, [2, 3]), Tensor.Create(beta, [2, 3]), g, softCap: 2);
        Assert.Equal(gradient, g.ToArray());
        TokenLogProbabilities.Backward<float>(logits, Tensor.Create(targets, [2, 3]), Tensor.Create(alpha, [2, 3]), Tensor.Create(beta, [2, 3]), g, softCap: 2,
            maxDegreeOfParallelism: 2);
        Assert.Equal(gradient, g.ToArray());
        Assert.Equal(0, Allocations.Of(() => TokenLogProbabilities.Forward<float>(logits, t, lp, h)));
    }
}

