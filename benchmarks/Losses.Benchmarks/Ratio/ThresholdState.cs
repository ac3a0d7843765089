namespace Losses.Benchmarks.Ratio;

/// <summary>
/// The best-threshold search (issue 16) over n = rows × classes samples of one double feature, two classes whose values
/// are shifted by 0.3 (as <see cref="InformationGainBenchmarks"/>), against copying the keys and <see cref="Array.Sort{T}(T[])"/>
/// — the floor of a comparison-sort search. Shape 1000x1000 is the n = 10⁶.
/// </summary>
internal sealed class ThresholdState
{
    private const int Classes = 2;
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Workload, ThresholdState> States = [];
    private readonly double[] _feature;
    private readonly int[] _labels;
    private readonly double[] _weights;
    private readonly double[] _keys;
    private readonly int[] _order;
    private readonly double[] _classScratch = new double[4 * Classes];

    private ThresholdState(Workload w)
    {
        var random = new Random(42);
        int n = w.Elements;
        _labels = [.. Enumerable.Range(0, n).Select(_ => random.Next(Classes))];
        _feature = [.. _labels.Select(y => random.NextDouble() + (0.3 * y))];
        _weights = [.. Enumerable.Range(0, n).Select(_ => random.NextDouble())];
        _keys = new double[n];
        _order = new int[n];
    }

    public static ThresholdState Of(Workload w) => States.GetValue(w, static w => new ThresholdState(w));

    public Action SortKeys => () =>
    {
        _feature.CopyTo(_keys, 0);
        Array.Sort(_keys);
    };

    public Action Unweighted => () => InformationGain.BestThreshold<double>(_feature, _labels, [], Classes, _keys, _order, _classScratch);

    public Action Weighted => () => InformationGain.BestThreshold<double>(_feature, _labels, _weights, Classes, _keys, _order, _classScratch);
}
