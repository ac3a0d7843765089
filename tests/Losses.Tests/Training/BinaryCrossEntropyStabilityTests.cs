namespace Losses.Tests;

/// <summary>
/// BCE with logits, focal loss and BCE from probabilities where the textbook forms cancel: tiny losses and gradients for
/// both labels, checked against mpmath values (double) and a careful double reference (float).
/// </summary>
public class BinaryCrossEntropyStabilityTests
{
    /// <summary>log1p(e^−|x|) in double, accurate to ~1e-15 relative for any x (the series where 1 + e would round).</summary>
    internal static double Log1PExp(double x)
    {
        double e = Math.Exp(-Math.Abs(x));
        return e < 1e-5 ? e * (1 - (e * (0.5 - (e / 3)))) : Math.Log(1 + e);
    }

    internal static double Sigmoid(double x) => 1 / (1 + Math.Exp(-x));

    /// <summary>BCE with logits as a sum of non-negative terms (exact up to the double rounding of each term).</summary>
    internal static double Bce(double x, double y, double pw = 1) =>
        (x >= 0 ? (1 - y) * x : -pw * y * x) + ((1 + ((pw - 1) * y)) * Log1PExp(x));

    /// <summary>(1 − y)·σ(x) − pw·y·σ(−x).</summary>
    internal static double BceGradient(double x, double y, double pw = 1) => ((1 - y) * Sigmoid(x)) - (pw * y * Sigmoid(-x));

    [Theory]
    [InlineData(-30.0, 0.0, 9.357622968839737e-14, 9.357622968839299e-14)]
    [InlineData(30.0, 1.0, 9.357622968839737e-14, -9.357622968839299e-14)]
    [InlineData(-700.0, 0.0, 9.85967654375977e-305, 9.85967654375977e-305)]
    public void Double_tiny_losses_and_gradients_for_both_labels(double x, double y, double loss, double gradient)
    {
        var g = new double[1];
        double actual = BinaryCrossEntropy.ForwardWithLogits<double>([x], [y], g, Reduction.Sum);
        Assert.True(Approx.Ulps(loss, actual) <= 4, $"loss {actual:R}, exact {loss:R}");
        Assert.True(Approx.Ulps(gradient, g[0]) <= 4, $"gradient {g[0]:R}, exact {gradient:R}");
    }

    [Theory]
    [InlineData(-17f, 0f)]
    [InlineData(17f, 1f)]
    [InlineData(-10.26f, 0f)]
    [InlineData(9.976f, 1f)]
    [InlineData(-87f, 0f)]
    public void Float_tiny_losses_are_kept_for_both_labels(float x, float y)
    {
        var g = new float[1];
        float loss = BinaryCrossEntropy.ForwardWithLogits<float>([x], [y], g, Reduction.Sum);
        Assert.True(Approx.Ulps((float)Bce(x, y), loss) <= 4, $"loss {loss:R}, exact {Bce(x, y):R}");
        Assert.True(Approx.Ulps((float)BceGradient(x, y), g[0]) <= 4, $"gradient {g[0]:R}, exact {BceGradient(x, y):R}");
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(3.5)]
    public void Float_loss_and_gradient_within_a_few_ulp_for_hard_labels_over_every_magnitude(double pw)
    {
        var random = new Random(11);
        const int n = 4099;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((random.Next(2) * 2 - 1) * Math.Pow(10, (random.NextDouble() * 8) - 5) * 1.5);
            y[i] = random.Next(2);
        }
        var g = new float[n];
        var losses = new float[n];
        float[] posWeight = [(float)pw];
        BinaryCrossEntropy.ForwardWithLogits<float>(x, y, g, Reduction.None, losses, posWeight: posWeight);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Approx.Ulps((float)Bce(x[i], y[i], pw), losses[i]) <= 4, $"x={x[i]:R} y={y[i]}: loss {losses[i]:R}, exact {Bce(x[i], y[i], pw):R}");
            Assert.True(Approx.Ulps((float)BceGradient(x[i], y[i], pw), g[i]) <= 4, $"x={x[i]:R} y={y[i]}: gradient {g[i]:R}, exact {BceGradient(x[i], y[i], pw):R}");
        }
    }

    [Fact]
    public void Soft_label_losses_are_within_a_few_ulp()
    {
        // Every term of the loss is non-negative for y in [0, 1] and posWeight ≥ 0, so soft labels keep relative accuracy too.
        var random = new Random(12);
        const int n = 1031;
        float[] x = new float[n];
        float[] y = new float[n];
        for (int i = 0; i < n; i++)
        {
            x[i] = (float)((random.NextDouble() * 200) - 100);
            y[i] = (float)random.NextDouble();
        }
        var losses = new float[n];
        BinaryCrossEntropy.ForwardWithLogits<float>(x, y, default, Reduction.None, losses, posWeight: [2.5f]);
        for (int i = 0; i < n; i++)
        {
            Assert.True(Approx.Ulps((float)Bce(x[i], y[i], 2.5), losses[i]) <= 6, $"x={x[i]:R} y={y[i]:R}: {losses[i]:R} vs {Bce(x[i], y[i], 2.5):R}");
        }
    }

    [Fact]
    public void Infinite_logits_give_the_limit_for_hard_labels()
    {
        var losses = new double[4];
        var g = new double[4];
        BinaryCrossEntropy.ForwardWithLogits<double>([double.PositiveInfinity, double.NegativeInfinity, double.PositiveInfinity, double.NegativeInfinity],
            [1, 0, 0, 1], g, Reduction.None, losses);
        Assert.Equal([0, 0, double.PositiveInfinity, double.PositiveInfinity], losses);
        Assert.Equal([0, 0, 1, -1], g);
    }

    [Fact]
    public void Focal_loss_and_gradient_keep_tiny_values_for_negatives()
    {
        // mpmath: x = −100, y = 0, α = 0.25, γ = 2.
        var g = new double[1];
        double loss = FocalLoss.Forward<double>([-100.0], [0.0], g, Reduction.Sum);
        Assert.True(Approx.Ulps(3.8611501668090104e-131, loss) <= 8, $"loss {loss:R}");
        Assert.True(Approx.Ulps(1.158345050042703e-130, g[0]) <= 8, $"gradient {g[0]:R}");
    }

    [Theory]
    [InlineData(-17f, 0f)]
    [InlineData(17f, 1f)]
    [InlineData(-9.5f, 0f)]
    public void Focal_float_matches_the_double_reference(float x, float y)
    {
        var g = new float[1];
        float loss = FocalLoss.Forward<float>([x], [y], g, Reduction.Sum, alpha: -1, gamma: 2);
        double m = y == 1 ? Sigmoid(-x) : Sigmoid(x);
        double ce = Bce(x, y);
        double expected = ce * m * m;
        double gradient = (BceGradient(x, y) * m * m) + (ce * 2 * m * (1 - (2 * y)) * Sigmoid(x) * Sigmoid(-x));
        // (1 − p_t)ᵞ = e^(γ·ln m) carries the rounding of γ·ln m: relative error ≤ (8 + 2·|γ ln m|) ulp.
        long bound = 8 + (long)(4 * Math.Abs(Math.Log(m)));
        Assert.True(Approx.Ulps((float)expected, loss) <= bound, $"loss {loss:R} vs {expected:R}");
        Assert.True(Approx.Ulps((float)gradient, g[0]) <= bound, $"gradient {g[0]:R} vs {gradient:R}");
    }

    [Fact]
    public void Probabilities_near_one_with_positive_label_match_pytorch()
    {
        // PyTorch 1.13 float32: F.binary_cross_entropy(tensor([0.99729556]), tensor([1.])) = 0.0027081051375716925.
        float loss = BinaryCrossEntropy.Forward<float>([0.99729556f], [1f]);
        Assert.Equal(0.0027081051375716925f, loss);
        var random = new Random(3);
        for (int i = 0; i < 1000; i++)
        {
            float p = 1 - (float)Math.Pow(2, -1 - (random.NextDouble() * 20));
            Assert.True(Approx.Ulps((float)-Math.Log(p), BinaryCrossEntropy.Forward<float>([p], [1f])) <= 2, $"p={p:R}");
            Assert.True(Approx.Ulps((float)-Math.Log(1 - (double)p), BinaryCrossEntropy.Forward<float>([p], [0f])) <= 2, $"p={p:R}, y=0");
        }
    }

    [Theory]
    [InlineData(1, 3000)]
    [InlineData(7, 1000)]
    [InlineData(33, 70)]
    [InlineData(1023, 3)]
    [InlineData(1500, 2)]
    public void Pos_weight_tiled_over_many_rows_matches_each_element_alone(int classes, int rows)
    {
        var random = new Random(classes);
        int n = classes * rows;
        double[] x = [.. Enumerable.Range(0, n).Select(_ => (random.NextDouble() * 40) - 20)];
        double[] y = [.. Enumerable.Range(0, n).Select(_ => (double)random.Next(2))];
        double[] pw = [.. Enumerable.Range(0, classes).Select(_ => random.NextDouble() * 4)];
        var g = new double[n];
        var losses = new double[n];
        BinaryCrossEntropy.ForwardWithLogits<double>(x, y, g, Reduction.None, losses, posWeight: pw);
        for (int i = 0; i < n; i++)
        {
            var gi = new double[1];
            var li = new double[1];
            BinaryCrossEntropy.ForwardWithLogits<double>([x[i]], [y[i]], gi, Reduction.None, li, posWeight: [pw[i % classes]]);
            Assert.Equal(li[0], losses[i]);
            Assert.Equal(gi[0], g[i]);
        }
    }
}
