using System.Diagnostics;
using System.Runtime.ExceptionServices;

namespace Losses.Kernels;

/// <summary>
/// A numbered set of chunks that the calling thread and <see cref="ChunkWorkers"/> share out: each participant first
/// takes the chunks of its own share, in order (participant p of P owns chunks [p·n/P, (p+1)·n/P), so that the same
/// core gets the same rows call after call and they stay in its cache), then steals what is left of the others' shares
/// from their ends. A chunk is claimed once (an atomic flag per chunk) and run whole by one thread; which thread runs it
/// never changes what it computes.
/// </summary>
internal abstract class ChunkJob
{
    private readonly int[] _claimed;
    private int _done;
    private int _joined;
    private ExceptionDispatchInfo? _error;

    protected ChunkJob(int chunks, int participants)
    {
        _claimed = new int[chunks];
        Participants = participants;
    }

    public int Chunks => _claimed.Length;

    public int Participants { get; }

    /// <summary>Runs one chunk (any thread, once).</summary>
    protected abstract void RunChunk(int chunk);

    public bool IsDone => Volatile.Read(ref _done) == _claimed.Length;

    /// <summary>A worker's participant number (1, 2, … in order of arrival), or −1 when all places are taken.</summary>
    public int Join()
    {
        int participant = Interlocked.Increment(ref _joined);
        return participant < Participants ? participant : -1;
    }

    /// <summary>Participant <paramref name="participant"/>'s work: its own share in order, then the others' from their ends.</summary>
    public void Work(int participant)
    {
        int n = _claimed.Length;
        int p = Participants;
        for (int chunk = First(participant); chunk < First(participant + 1); chunk++)
        {
            TryRun(chunk);
        }
        for (int k = 1; k < p; k++)
        {
            int other = (participant + k) % p;
            for (int chunk = First(other + 1) - 1; chunk >= First(other); chunk--)
            {
                TryRun(chunk);
            }
        }

        int First(int who) => (int)((long)who * n / p);
    }

    private void TryRun(int chunk)
    {
        if (Volatile.Read(ref _claimed[chunk]) != 0 || Interlocked.Exchange(ref _claimed[chunk], 1) != 0)
        {
            return;
        }
        try
        {
            RunChunk(chunk);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
        }
        Interlocked.Increment(ref _done);
    }

    /// <summary>Waits (spinning, then yielding) until every chunk has run; rethrows a chunk's exception.</summary>
    public void WaitAll()
    {
        var spin = new SpinWait();
        while (!IsDone)
        {
            spin.SpinOnce(sleep1Threshold: -1);
        }
        _error?.Throw();
    }
}

/// <summary>
/// The driver's helper threads: background threads started on first use (at most one fewer than the cores), which
/// spin for a short while after each job before they block, so that back-to-back calls of 20–100 µs do not pay a
/// thread-pool wake-up each (<see cref="Parallel.For(int, int, Action{int})"/> costs 5–10 µs per call there). One job
/// at a time: a call that finds the workers busy (another thread's call, or a call from inside a chunk) runs its
/// chunks with <see cref="Parallel.For(int, int, ParallelOptions, Action{int})"/> instead. Neither path changes
/// results: chunks are computed the same way on any thread and added in chunk order by the caller.
/// </summary>
internal static class ChunkWorkers
{
    /// <summary>How long an idle worker keeps polling for the next job before it blocks.</summary>
    private static readonly long SpinTicks = Stopwatch.Frequency / 5000; // 200 µs

    private static readonly Lock Start = new();
    private static readonly SemaphoreSlim Wake = new(0);
    private static ChunkJob? s_job;
    private static int s_generation;
    private static int s_sleepers;
    private static int s_busy;
    private static int s_workers;

    /// <summary>
    /// Runs every chunk of <paramref name="job"/> on the calling thread and up to Participants − 1 workers; returns
    /// false (having run nothing) when the workers are busy with another job.
    /// </summary>
    public static bool TryRun(ChunkJob job)
    {
        if (Interlocked.CompareExchange(ref s_busy, 1, 0) != 0)
        {
            return false;
        }
        try
        {
            EnsureWorkers(job.Participants - 1);
            Volatile.Write(ref s_job, job);
            Interlocked.Increment(ref s_generation);
            int sleepers = Volatile.Read(ref s_sleepers);
            if (sleepers > 0)
            {
                Wake.Release(Math.Min(sleepers, job.Participants - 1));
            }
            job.Work(0);
            job.WaitAll();
        }
        finally
        {
            Volatile.Write(ref s_job, null);
            Volatile.Write(ref s_busy, 0);
        }
        return true;
    }

    private static void EnsureWorkers(int count)
    {
        if (Volatile.Read(ref s_workers) >= count)
        {
            return;
        }
        lock (Start)
        {
            while (s_workers < count)
            {
                var thread = new Thread(Loop) { IsBackground = true, Name = "Losses worker" };
                thread.Start();
                s_workers++;
            }
        }
    }

    private static void Loop()
    {
        int seen = Volatile.Read(ref s_generation);
        while (true)
        {
            int generation = WaitForNext(seen);
            seen = generation;
            var job = Volatile.Read(ref s_job);
            int participant = job == null || job.IsDone ? -1 : job.Join();
            if (participant > 0)
            {
                job!.Work(participant);
            }
        }
    }

    /// <summary>Polls for a new generation for <see cref="SpinTicks"/>, then blocks until woken.</summary>
    private static int WaitForNext(int seen)
    {
        long deadline = Stopwatch.GetTimestamp() + SpinTicks;
        int polls = 0;
        while (true)
        {
            int generation = Volatile.Read(ref s_generation);
            if (generation != seen)
            {
                return generation;
            }
            if ((++polls & 63) == 0 && Stopwatch.GetTimestamp() > deadline)
            {
                break;
            }
            Thread.SpinWait(8);
        }
        while (true)
        {
            Interlocked.Increment(ref s_sleepers);
            int generation = Volatile.Read(ref s_generation);
            if (generation == seen)
            {
                Wake.Wait();
            }
            Interlocked.Decrement(ref s_sleepers);
            generation = Volatile.Read(ref s_generation);
            if (generation != seen)
            {
                return generation;
            }
        }
    }
}
