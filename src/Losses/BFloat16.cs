using System.Runtime.CompilerServices;

namespace Losses;

/// <summary>
/// A bfloat16 value held as its raw 16 bits: the upper half of a float (1 sign, 8 exponent, 7 mantissa bits). .NET has no
/// bfloat16 type; TorchSharp and safetensors expose bfloat16 tensors as <see cref="ushort"/> bit patterns, which this
/// struct wraps without copying: <c>MemoryMarshal.Cast&lt;ushort, BFloat16&gt;(bits)</c>.
/// </summary>
/// <remarks>
/// Widening to float is exact. Narrowing (<see cref="op_Explicit(float)"/>) rounds to nearest, ties to even, as PyTorch's
/// <c>tensor.to(torch.bfloat16)</c>; NaN stays a (quiet) NaN, overflow gives ±∞.
/// </remarks>
/// <example>
/// <code>
/// ushort[] raw = [0x3F80, 0xC000];                              // 1, −2 as bfloat16
/// ReadOnlySpan&lt;BFloat16&gt; logits = MemoryMarshal.Cast&lt;ushort, BFloat16&gt;(raw);
/// float first = (float)logits[0];                              // 1
/// </code>
/// </example>
/// <param name="bits">The raw bit pattern.</param>
public readonly struct BFloat16(ushort bits) : IEquatable<BFloat16>
{
    /// <summary>The raw bit pattern.</summary>
    public ushort Bits { get; } = bits;

    /// <summary>The exact float value.</summary>
    /// <param name="value">A bfloat16.</param>
    public static explicit operator float(BFloat16 value) => BitConverter.Int32BitsToSingle(value.Bits << 16);

    /// <summary>The nearest bfloat16 (ties to even).</summary>
    /// <param name="value">Any float.</param>
    public static explicit operator BFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value))
        {
            return new BFloat16((ushort)((bits >> 16) | 0x40));
        }
        bits += 0x7FFF + ((bits >> 16) & 1);
        return new BFloat16((ushort)(bits >> 16));
    }

    /// <summary>Bitwise equality (as the bits are compared by TorchSharp; NaN equals a NaN of the same bits).</summary>
    /// <param name="other">Another value.</param>
    /// <returns>True when the bits are equal.</returns>
    public bool Equals(BFloat16 other) => Bits == other.Bits;

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is BFloat16 other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => Bits;

    /// <summary>The value as a float, formatted.</summary>
    /// <returns>The float text.</returns>
    public override string ToString() => ((float)this).ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Bitwise equality.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator ==(BFloat16 left, BFloat16 right) => left.Equals(right);

    /// <summary>Bitwise inequality.</summary>
    /// <param name="left">A value.</param>
    /// <param name="right">Another value.</param>
    public static bool operator !=(BFloat16 left, BFloat16 right) => !left.Equals(right);

    /// <summary>Reinterprets bits without conversion (for <c>Unsafe</c>-free interop).</summary>
    /// <param name="bits">Raw bits.</param>
    /// <returns>The bfloat16 with those bits.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static BFloat16 FromBits(ushort bits) => new(bits);
}
