using System.Diagnostics;
using Partitioner.ZooKeeper;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// One member acquiring N items over <see cref="InstantPort"/>: the allocation runs start to end inside the
/// stability timer's callback, so its time is Core's and the shell's CPU and nothing else.
/// </summary>
internal sealed class InstantBench(BenchContext context)
{
    private static readonly TimeSpan AcquireTimeout = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Seconds of this process's CPU from creating the member (its configuration checked and sorted, its join) to
    /// Acquired, one per timed run, after a warm-up; the finish that follows (every lock node deleted) is printed
    /// apart. CPU rather than wall time, because on a busy machine the wall time of CPU-bound work mostly
    /// measures the wait for a core.
    /// </summary>
    public async Task<List<double>> RunAsync(int items)
    {
        await RunOnceAsync(items);
        var seconds = new List<double>();
        var wall = new List<double>();
        var finish = new List<double>();
        var allocated = new List<double>();
        var collections = new List<double>();
        var paused = new List<double>();
        for (int run = 0; run < context.Mode.OurRepetitions; run++)
        {
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            int gcs = GC.CollectionCount(0);
            var pause = GC.GetTotalPauseDuration();
            var (allocation, acquireCpu, finishCpu) = await RunOnceAsync(items);
            allocated.Add(GC.GetTotalAllocatedBytes(precise: true) - bytes);
            collections.Add(GC.CollectionCount(0) - gcs);
            paused.Add((GC.GetTotalPauseDuration() - pause).TotalSeconds);
            wall.Add(allocation);
            seconds.Add(acquireCpu);
            finish.Add(finishCpu);
        }

        context.Progress($"core+shell acquire {items,6}: CPU median {Format.Duration(Median.Of(seconds))} to Acquired (then {Format.Duration(Median.Of(finish))} to finish), "
            + $"allocation wall time median {Format.Duration(Median.Of(wall))}; a run (finish included) allocates {Format.Megabytes((long)Median.Of(allocated))} "
            + $"in {Median.Of(collections):0} collections pausing {Format.Duration(Median.Of(paused))}");
        return seconds;
    }

    /// <summary>One more run that prints the decisions that took longest (each one's time since the previous decision).</summary>
    public async Task TraceAsync(int items)
    {
        var clock = new AllocationClock { Trace = [] };
        double seconds = (await RunOnceAsync(items, clock)).AllocationSeconds;
        context.Progress($"core+shell acquire {items}: {Format.Duration(seconds)}; the slowest decisions:");
        var trace = clock.Trace!;
        var slowest = Enumerable.Range(1, trace.Count - 1)
            .Select(i => (Took: Stopwatch.GetElapsedTime(trace[i - 1].Timestamp, trace[i].Timestamp).TotalSeconds, trace[i].Line))
            .OrderByDescending(t => t.Took)
            .Take(12);
        foreach (var (took, line) in slowest)
        {
            context.Progress($"  {Format.Duration(took),10} {line[..Math.Min(line.Length, 160)]}");
        }
    }

    /// <summary>One run: the allocation's wall time, and this process's CPU from creating the member to Acquired and for its finish.</summary>
    private static async Task<(double AllocationSeconds, double AcquireCpuSeconds, double FinishCpuSeconds)> RunOnceAsync(int items, AllocationClock? traced = null)
    {
        var clock = traced ?? new AllocationClock();
        var names = MemberHarness.Items(items);
        var start = Process.GetCurrentProcess().TotalProcessorTime;
        var member = new SetPartitioner(new InstantPort(), "/instant", names, new SetPartitionerOptions
        {
            Identifier = "solo",
            TimeBoundary = TimeSpan.FromMilliseconds(1),
            EventLog = clock,
        });
        TimeSpan acquired;
        try
        {
            if (!await member.WaitForAcquireAsync(AcquireTimeout))
            {
                throw new InvalidOperationException($"The member over the instant port is {member.State}: {member.FailureReason}");
            }

            acquired = Process.GetCurrentProcess().TotalProcessorTime;
        }
        finally
        {
            await member.DisposeAsync();
        }

        var finished = Process.GetCurrentProcess().TotalProcessorTime;
        return (Stopwatch.GetElapsedTime(clock.AllocationStarted, clock.AcquiredAt).TotalSeconds, (acquired - start).TotalSeconds, (finished - acquired).TotalSeconds);
    }
}
