namespace Losses.Tests.Docs;

/// <summary>Runs every snippet of the guide pages and the package readme and checks what their comments say.</summary>
public class GuideSnippetTests
{
    [Fact]
    public void Cross_entropy_in_bits()
    {
        var (bits, nats, loss, lossBits) = GuideSnippets.CrossEntropyInBits();
        Assert.Equal(3, bits, 12);
        Assert.Equal(3 * Math.Log(2), nats, 12);
        Assert.Equal(2.4938, loss, 4);
        Assert.Equal(3.5978, lossBits, 4);
    }

    [Fact]
    public void KL_versus_cross_entropy()
    {
        var (h, hpq, kl, reverse) = GuideSnippets.KLVersusCrossEntropy();
        Assert.Equal(1.1568, h, 4);
        Assert.Equal(1.2796, hpq, 4);
        Assert.Equal(0.1228, kl, 4);
        Assert.Equal(hpq - h, kl, 12);
        Assert.Equal(0.1328, reverse, 4);
    }

    [Fact]
    public void Binary_cross_entropy()
    {
        var (loss, gradient, weighted, fromProbabilities) = GuideSnippets.BinaryCrossEntropyExample();
        Assert.Equal(1.1157f, loss, 4);
        Assert.Equal([-0.0298f, 0.0672f, 0.1556f, -0.2381f], gradient.Select(g => MathF.Round(g, 4)));
        Assert.Equal(2.7035f, weighted, 4);
        Assert.Equal(1.1157f, fromProbabilities, 4);
    }

    [Fact]
    public void Cross_entropy_versus_mse()
    {
        var (ceNorm, mseNorm) = GuideSnippets.CrossEntropyVersusMse();
        Assert.Equal(1.414f, ceNorm, 3);
        Assert.Equal(0.00096f, mseNorm, 5);
    }

    [Fact]
    public void Information_gain()
    {
        var (gain, ratio, threshold) = GuideSnippets.InformationGainExample();
        Assert.Equal(0.2467, gain, 4);
        Assert.Equal(0.1564, ratio, 4);
        Assert.Equal(84, threshold);
    }

    [Fact]
    public void Softmax_overflow()
    {
        var (naive, p, lse, logP, combined) = GuideSnippets.SoftmaxOverflow();
        Assert.True(float.IsNaN(naive));
        Assert.Equal([0.5f, 0.5f, 0f], p);
        Assert.Equal("1000.6932", lse.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(-0.6931f, logP[0], 4);
        Assert.Equal(-0.6931f, logP[1], 4);
        Assert.Equal(float.NegativeInfinity, logP[2]);
        Assert.Equal(lse, combined);
    }

    [Fact]
    public void Multi_task_balancing()
    {
        var (total, equal, normalized, uncertainty) = GuideSnippets.MultiTaskBalancing();
        Assert.Equal(402.3f, total, 3);
        Assert.Equal([1f, 1f], equal);
        Assert.Equal(0.0025f, normalized[0], 6);
        Assert.Equal(0.4348f, normalized[1], 4);
        Assert.Equal(1 / 400.0, uncertainty[0], 5);
        Assert.Equal(1 / 2.3, uncertainty[1], 3);
    }

    [Fact]
    public void Package_readme_examples()
    {
        var (p, lse) = PackageSnippets.Softmax();
        Assert.Equal([0.5f, 0.5f, 0f], p);
        Assert.Equal("1000.6932", lse.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var (loss, gradient) = PackageSnippets.CrossEntropyBatch();
        Assert.Equal(0.3185f, loss, 4);
        Assert.Equal(0f, gradient.Sum(), 6);
        var (h, kl) = PackageSnippets.EntropyInBits();
        Assert.Equal(1.5, h, 12);
        Assert.Equal(0.737, kl, 3);
    }
}
