using System.Diagnostics;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>The figures of one acquisition size.</summary>
/// <param name="Items">How many items the one member acquired.</param>
/// <param name="Ours">Seconds from the round's first requests to Acquired, one per timed run.</param>
/// <param name="OursWhole">Seconds from creating the member to Acquired, minus the time boundary, one per timed run.</param>
/// <param name="OursCpu">Seconds of this process's CPU from creating the member to Acquired (the client's cost), one per timed run.</param>
/// <param name="ServerCpu">Seconds of the server's CPU over the same span, one per timed run (NaN when not measured).</param>
/// <param name="Counts">Requests and operations of one allocation (the last run's; every run sends the same).</param>
/// <param name="Kazoo">kazoo's seconds from its allocation start to ACQUIRED, one per run; empty when not run.</param>
internal sealed record AcquireFigures(int Items, List<double> Ours, List<double> OursWhole, List<double> OursCpu, List<double> ServerCpu, OperationCounts Counts, List<double> Kazoo);

/// <summary>One member acquiring N items on a fresh party path, ours then kazoo's, on the same server.</summary>
internal sealed class AcquireBench(BenchContext context)
{
    private static readonly TimeSpan AcquireTimeout = TimeSpan.FromMinutes(5);

    public async Task<AcquireFigures> RunAsync(int items, bool withKazoo)
    {
        await RunOursAsync(items); // Warm-up: JIT and connection pools; not counted.
        var figures = new AcquireFigures(items, [], [], [], [], default, []);
        for (int run = 0; run < context.Mode.OurRepetitions; run++)
        {
            var (seconds, whole, counts, clock) = await RunOursAsync(items);
            figures.Ours.Add(seconds);
            figures.OursWhole.Add(whole);
            figures.OursCpu.Add(clock.CpuSeconds);
            figures.ServerCpu.Add(clock.ServerCpuSeconds);
            figures = figures with { Counts = counts };
            context.Progress($"ours  acquire {items,6}: {Format.Duration(seconds)} (creation to Acquired minus boundary {Format.Duration(whole)}), {counts.Requests} requests, {counts.Operations} ops, CPU ours {Format.Duration(clock.CpuSeconds)}, server's {Format.Duration(clock.ServerCpuSeconds)}");
        }

        for (int run = 0; withKazoo && run < context.Mode.KazooRepetitions; run++)
        {
            var figure = await context.Kazoo.AcquireAsync(items);
            await context.RemoveTreeAsync(figure.Path);
            figures.Kazoo.Add(figure.Seconds);
            context.Progress($"kazoo acquire {items,6}: {Format.Duration(figure.Seconds)}");
        }

        return figures;
    }

    /// <summary>
    /// Untimed acquisitions of the largest size before anything is timed: a fresh JVM interprets the server's
    /// code at first and compiles it as it runs hot, and the first case timed should not pay for that.
    /// </summary>
    public async Task WarmUpServerAsync()
    {
        for (int run = 0; run < context.Mode.ServerWarmUpRuns; run++)
        {
            await RunOursAsync(context.Mode.AcquireSizes.Max());
        }
    }

    /// <summary>One more run, printing every decision with its time since the allocation started (for profiling).</summary>
    public async Task TraceAsync(int items)
    {
        var (seconds, _, _, clock) = await RunOursAsync(items, trace: true);
        context.Progress($"acquire {items}: {Format.Duration(seconds)}, this process's CPU ours {Format.Duration(clock.CpuSeconds)}, server's {Format.Duration(clock.ServerCpuSeconds)}");
        foreach (var (timestamp, line) in clock.Trace!.Where(t => t.Timestamp >= clock.AllocationStarted))
        {
            context.Progress($"{Format.Duration(Stopwatch.GetElapsedTime(clock.AllocationStarted, timestamp).TotalSeconds),10} {line}");
        }
    }

    /// <summary>
    /// The acquisition of the largest size with each batch size in turn, round after round, so that the machine's
    /// changing load falls on all of them alike; prints each one's median (for choosing the default).
    /// </summary>
    public async Task CompareBatchSizesAsync(int[] batchSizes)
    {
        int items = context.Mode.AcquireSizes.Max();
        var seconds = batchSizes.ToDictionary(size => size, _ => new List<double>());
        for (int round = 0; round <= context.Mode.OurRepetitions; round++)
        {
            foreach (int size in batchSizes)
            {
                var (figure, _, _, _) = await RunOursAsync(items, batchSize: size);
                if (round > 0)
                {
                    seconds[size].Add(figure); // Round 0 warms every size up.
                }
            }
        }

        foreach (int size in batchSizes)
        {
            context.Progress($"acquire {items} with batch size {size,5}: median {Format.Duration(Median.Of(seconds[size]))} (n={seconds[size].Count})");
        }
    }

    private async Task<(double Seconds, double Whole, OperationCounts Counts, AllocationClock Clock)> RunOursAsync(
        int items, bool trace = false, int? batchSize = null)
    {
        string path = context.NewPath();
        var names = MemberHarness.Items(items);
        long created;
        AllocationClock clock;
        await using (var harness = await MemberHarness.ConnectAsync(context.ConnectString, trace: trace))
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            double serverCpu = context.ServerCpuSeconds();
            created = Stopwatch.GetTimestamp();
            harness.Start(path, names, "solo", context.TimeBoundary, batchSize);
            await harness.WaitAcquiredAsync(AcquireTimeout);
            clock = harness.Clock;
            clock.CpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            clock.ServerCpuSeconds = context.ServerCpuSeconds() - serverCpu;
        }

        await context.RemoveTreeAsync(path);
        double seconds = Stopwatch.GetElapsedTime(clock.AllocationStarted, clock.AcquiredAt).TotalSeconds;
        double whole = (Stopwatch.GetElapsedTime(created, clock.AcquiredAt) - context.TimeBoundary).TotalSeconds;
        return (seconds, whole, clock.AllocationCounts, clock);
    }
}
