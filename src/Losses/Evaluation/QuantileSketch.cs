using System.Globalization;

namespace Losses;

/// <summary>
/// The values of a per-token statistic, for its percentiles: every value (exact percentiles) while there are at most
/// <see cref="Capacity"/> of them, then a histogram with one bucket per double exponent and <see cref="MantissaBits"/>
/// leading mantissa bits (a log-linear histogram in the manner of HdrHistogram and DDSketch). A bucket is read as its
/// midpoint, so beyond the capacity a percentile is off by at most 2⁻⁸ ≈ 0.39% of its value (relative), whatever the
/// number of values. The bucket of a value is a function of its bits alone, and the switch to the histogram depends only
/// on the total count, so the content — and every percentile — is the same for any split of the values and any merge order.
/// </summary>
internal sealed class QuantileSketch
{
    /// <summary>Leading mantissa bits kept per bucket: the relative error of a bucket's midpoint is at most 2^−(bits+1).</summary>
    public const int MantissaBits = 7;

    private List<double>? _values = [];
    private BucketCounts? _buckets;

    public QuantileSketch(int capacity)
    {
        Capacity = capacity;
    }

    /// <summary>The most values kept exactly.</summary>
    public int Capacity { get; }

    /// <summary>The number of values.</summary>
    public long Count { get; private set; }

    /// <summary>True while every value is kept (percentiles are exact).</summary>
    public bool IsExact => _values is not null;

    /// <summary>The relative error bound of a percentile: 0 while exact, 2^−(MantissaBits+1) after.</summary>
    public double RelativeError => IsExact ? 0 : Math.ScaleB(1, -(MantissaBits + 1));

    public void Add(double value)
    {
        Count++;
        if (_values is not null)
        {
            _values.Add(value);
            if (_values.Count > Capacity)
            {
                ToHistogram();
            }
        }
        else
        {
            AddToBucket(value, 1);
        }
    }

    public void Merge(QuantileSketch other)
    {
        Count += other.Count;
        if (_values is not null && other._values is not null && _values.Count + other._values.Count <= Capacity)
        {
            _values.AddRange(other._values);
            return;
        }
        ToHistogram();
        if (other._values is not null)
        {
            foreach (double v in other._values)
            {
                AddToBucket(v, 1);
            }
        }
        else
        {
            foreach (var (key, count) in other._buckets!.InKeyOrder())
            {
                AddCount(key, count);
            }
        }
    }

    private void ToHistogram()
    {
        if (_values is null)
        {
            return;
        }
        _buckets = new BucketCounts();
        foreach (double v in _values)
        {
            AddToBucket(v, 1);
        }
        _values = null;
    }

    // The key orders buckets as their values: the double's bits with the low mantissa bits dropped, mirrored for negatives.
    private static long KeyOf(double value)
    {
        long magnitude = BitConverter.DoubleToInt64Bits(Math.Abs(value)) >> (52 - MantissaBits);
        return value < 0 ? -magnitude - 1 : magnitude;
    }

    private static double MidpointOf(long key)
    {
        bool negative = key < 0;
        long magnitude = negative ? -key - 1 : key;
        double low = BitConverter.Int64BitsToDouble(magnitude << (52 - MantissaBits));
        double high = BitConverter.Int64BitsToDouble((magnitude + 1) << (52 - MantissaBits));
        double mid = double.IsFinite(high) ? low + ((high - low) / 2) : low;
        return negative ? -mid : mid;
    }

    private void AddToBucket(double value, long count) => AddCount(KeyOf(value), count);

    private void AddCount(long key, long count) => _buckets!.Add(key, count);

    private KeyValuePair<long, long>[]? _sortedBuckets;
    private long _sortedCount = -1;

    private KeyValuePair<long, long>[] SortedBuckets()
    {
        if (_sortedBuckets is null || _sortedCount != Count)
        {
            _sortedBuckets = [.. _buckets!.InKeyOrder()];
            _sortedCount = Count;
        }
        return _sortedBuckets;
    }

    /// <summary>
    /// The percentile at <paramref name="fraction"/> ∈ [0, 1] with linear interpolation between order statistics (as
    /// llama.cpp and NumPy's default): v[⌊f·(n−1)⌋]·(1 − r) + v[⌊f·(n−1)⌋ + 1]·r. NaN for no values.
    /// </summary>
    public double Percentile(double fraction)
    {
        if (Count == 0)
        {
            return double.NaN;
        }
        double position = Math.Clamp(fraction, 0, 1) * (Count - 1);
        long index = (long)position;
        double rest = position - index;
        double low = OrderStatistic(index);
        double high = OrderStatistic(Math.Min(index + 1, Count - 1));
        return rest == 0 ? low : ((1 - rest) * low) + (rest * high);
    }

    private List<double>? _sorted;

    private double OrderStatistic(long index)
    {
        if (_values is not null)
        {
            if (_sorted is null || _sorted.Count != _values.Count)
            {
                _sorted = [.. _values];
                _sorted.Sort();
            }
            return _sorted[(int)index];
        }
        long seen = 0;
        foreach (var (key, count) in SortedBuckets())
        {
            seen += count;
            if (index < seen)
            {
                return MidpointOf(key);
            }
        }
        return double.NaN;
    }

    /// <summary>Plain-data form: the sorted values (exact) or "key:count" buckets, both canonical.</summary>
    public (double[]? Values, string[]? Buckets) ToData()
    {
        if (_values is not null)
        {
            double[] sorted = [.. _values];
            Array.Sort(sorted);
            return (sorted, null);
        }
        return (null, [.. SortedBuckets().Select(b => string.Create(CultureInfo.InvariantCulture, $"{b.Key}:{b.Value}"))]);
    }

    public static QuantileSketch FromData(int capacity, double[]? values, string[]? buckets)
    {
        var sketch = new QuantileSketch(capacity);
        if (values is not null)
        {
            sketch._values!.AddRange(values);
            sketch.Count = values.Length;
            if (values.Length > capacity)
            {
                sketch.ToHistogram();
            }
            return sketch;
        }
        sketch._values = null;
        sketch._buckets = new BucketCounts();
        foreach (string bucket in buckets ?? [])
        {
            int colon = bucket.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0)
            {
                throw new FormatException($"Bucket '{bucket}' is not of the form key:count.");
            }
            long key = long.Parse(bucket.AsSpan(0, colon), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
            long count = long.Parse(bucket.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture);
            if (!BucketCounts.IsKey(key))
            {
                throw new FormatException($"Bucket '{bucket}' has a key outside the range of the histogram's keys.");
            }
            sketch.AddCount(key, count);
            sketch.Count += count;
        }
        return sketch;
    }
}

/// <summary>
/// The histogram's counts by key, in pages of 2^MantissaBits buckets (one page per sign and double exponent, allocated
/// when first used): an addition is two array lookups (a hash map measured about 100 ns per token in the comparison's
/// streaming loop), and reading in key order is a walk over the pages.
/// </summary>
internal sealed class BucketCounts
{
    private const int PageBits = QuantileSketch.MantissaBits;
    private const long Offset = 1L << (11 + PageBits); // keys are in [−2^18, 2^18): sign, 11 exponent bits, the mantissa bits
    private readonly long[]?[] _pages = new long[]?[(int)(2 * Offset) >> PageBits];

    /// <summary>Whether <paramref name="key"/> is the key of some double.</summary>
    public static bool IsKey(long key) => key >= -Offset && key < Offset;

    public void Add(long key, long count)
    {
        long index = key + Offset;
        (_pages[(int)(index >> PageBits)] ??= new long[1 << PageBits])[(int)(index & ((1 << PageBits) - 1))] += count;
    }

    /// <summary>The buckets with a non-zero count, by increasing key.</summary>
    public IEnumerable<KeyValuePair<long, long>> InKeyOrder()
    {
        for (int page = 0; page < _pages.Length; page++)
        {
            if (_pages[page] is not { } counts)
            {
                continue;
            }
            for (int slot = 0; slot < counts.Length; slot++)
            {
                if (counts[slot] != 0)
                {
                    yield return new KeyValuePair<long, long>(((long)page << PageBits) + slot - Offset, counts[slot]);
                }
            }
        }
    }
}
