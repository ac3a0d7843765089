using System.Runtime.Intrinsics;
using Losses.Kernels;

namespace Losses.Tests.Kernels;

/// <summary>
/// The <c>LOSSES_SOFTWARE_VECTOR512=1</c> test hook (CI runs the whole suite once with it): on hardware without AVX-512
/// the row paths must then take the 16-lane <see cref="V512{T}"/> bodies in .NET's software <see cref="Vector512{T}"/>,
/// so that their tails and masks are tested; unset, the width follows the hardware.
/// </summary>
public class SoftwareVector512Tests
{
    [Fact]
    public void The_hook_decides_the_Vector512_width_with_the_hardware()
    {
        bool hook = Environment.GetEnvironmentVariable("LOSSES_SOFTWARE_VECTOR512") == "1";
        Assert.Equal(hook, SoftwareVector512.Enabled);
        Assert.Equal(Vector512.IsHardwareAccelerated || hook, V512<float>.IsAccelerated);
        Assert.Equal(Vector512.IsHardwareAccelerated || hook, V512<double>.IsAccelerated);
    }

    [Fact]
    public void A_row_of_two_16_lane_vectors_and_a_tail_computes_under_either_width()
    {
        // Whatever width runs, the log-sum-exp of a 37-element row (two 16-lane vectors and a 5-element tail) equals the
        // double reference to float rounding: a smoke test that the width picked under the hook computes.
        var row = new float[37];
        for (int i = 0; i < row.Length; i++)
        {
            row[i] = (float)Math.Sin(i) * 20;
        }
        double max = row.Max(), sum = row.Sum(x => Math.Exp(x - max));
        Assert.Equal(max + Math.Log(sum), LogSumExp.Forward<float>(row), 1e-5);
    }
}
