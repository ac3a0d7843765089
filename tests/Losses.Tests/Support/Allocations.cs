namespace Losses.Tests.Support;

/// <summary>Measures managed allocation of a call on the current thread (after a warm-up call that JIT-compiles it).</summary>
public static class Allocations
{
    public static long Of(Action action)
    {
        action();
        long before = GC.GetAllocatedBytesForCurrentThread();
        action();
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
