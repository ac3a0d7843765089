using System.Numerics;
using System.Text.Json;

namespace Losses.Tests;

/// <summary>NllLoss against PyTorch 1.13.</summary>
public class NllLossTests
{
    public static TheoryData<string> Cases => TrainingReference.Names("nll");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Matches_pytorch(string name) => TrainingReference.Check(name, Call<float>, Call<double>);

    private static T Call<T>(JsonElement c, T[] x, Span<T> gradient, Reduction reduction, Span<T> losses)
        where T : unmanaged, IFloatingPointIeee754<T> =>
        NllLoss.Forward<T>(x, c.Ints("targets"), c.Int("classCount"), gradient, reduction, losses, c.Optional<T>("weight"), c.Int("ignoreIndex"));

    [Fact]
    public void Bad_target_names_row_and_value()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => NllLoss.Forward<double>([-1.0, -0.5], [-3], 2));
        Assert.Contains("targets[0] = -3", e.Message, StringComparison.Ordinal);
    }
}
