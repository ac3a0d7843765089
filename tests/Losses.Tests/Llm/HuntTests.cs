namespace Losses.Tests;

/// <summary>
/// Adversarial checks of the LLM-scale API against its documented promises (found by the "hunt" helper, 2026-12-03).
/// Reference values come from PyTorch 1.13 in float64 on the same rounded inputs (scripts in the comments).
/// </summary>
public class HuntTests
{
    // The aliasing rule (README, "Aliasing"): any overlap other than a documented in-place pair throws, naming both.
    // The float overload checks weight/gradient, weight/losses and gradient/losses; the 16-bit overloads did not, so a
    // weight inside the gradient buffer was read while being overwritten, and losses could land in the gradient.
    [Fact]
    public void Sixteen_bit_cross_entropy_refuses_overlapping_weight_gradient_and_losses()
    {
        Half[] half = [(Half)0f, (Half)1f, (Half)2f, (Half)3f, (Half)(-1f), (Half)0.5f];
        BFloat16[] brain = [.. half.Select(h => (BFloat16)(float)h)];
        long[] targets = [0, 1];
        var buffer = Enumerable.Repeat(7f, 8).ToArray();

        void Refused(string name, Action call)
        {
            var e = Assert.ThrowsAny<ArgumentException>(call);
            Assert.Equal(name, e.ParamName);
            Assert.All(buffer, v => Assert.Equal(7f, v));   // nothing written
        }

        Refused("gradient", () => CrossEntropy.Forward(half, targets, 3, buffer.AsSpan(0, 6), weight: buffer.AsSpan(5, 3)));
        Refused("gradient", () => CrossEntropy.Forward(brain, targets, 3, buffer.AsSpan(0, 6), weight: buffer.AsSpan(5, 3)));
        Refused("losses", () => CrossEntropy.Forward(half, targets, 3, buffer.AsSpan(0, 6), Reduction.None, buffer.AsSpan(5, 2)));
        Refused("losses", () => CrossEntropy.Forward(brain, targets, 3, default, Reduction.None, buffer.AsSpan(0, 2), buffer.AsSpan(1, 3)));
    }
}
