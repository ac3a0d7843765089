namespace Losses.Tests;

/// <summary>
/// The allocation rule, over the registry of batched functions (<see cref="BatchedFunctions"/>): once warm, a call
/// allocates nothing on one thread. (Multi-threaded calls hand chunks to the driver's workers; they are covered by the
/// per-function tests where they promise it.)
/// </summary>
public class AllocationRuleTests
{
    public static TheoryData<string> Functions() => [.. BatchedFunctions.All.Select(f => f.Name)];

    [Theory]
    [MemberData(nameof(Functions))]
    public void A_warm_call_allocates_nothing(string name)
    {
        var function = BatchedFunctions.All.Single(f => f.Name == name);
        Memory<float>[] spans = [.. function.Spans.Select((s, i) => (Memory<float>)(s.IsOutput ? new float[s.Length] : BatchedFunctions.Values(s.Kind, s.Length, 3 + i)))];
        Assert.Equal(0, Allocations.Of(() => function.Run(spans, 1)));
    }
}
