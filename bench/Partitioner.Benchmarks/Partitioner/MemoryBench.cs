using System.Diagnostics;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>The memory of a member holding many items.</summary>
/// <param name="Items">How many items the member holds.</param>
/// <param name="Bytes">Managed heap growth from before the member was created to when it held every lock.</param>
/// <param name="AcquireSeconds">Seconds from its allocation start to Acquired.</param>
/// <param name="Counts">Requests and operations of the allocation.</param>
internal sealed record MemoryFigures(int Items, long Bytes, double AcquireSeconds, OperationCounts Counts);

/// <summary>
/// One member acquiring every item against the real server; the managed heap (after full collections) is
/// read before the member is created and again while it holds its locks. The item names are made before the
/// first reading, so the figure is what the member and its client hold beyond the caller's own list.
/// </summary>
internal sealed class MemoryBench(BenchContext context)
{
    private static readonly TimeSpan AcquireTimeout = TimeSpan.FromMinutes(10);

    public async Task<MemoryFigures> RunAsync(int items)
    {
        string path = context.NewPath();
        var names = MemberHarness.Items(items);
        try
        {
            await using var harness = await MemberHarness.ConnectAsync(context.ConnectString);
            long before = GC.GetTotalMemory(forceFullCollection: true);
            harness.Start(path, names, "memory", context.TimeBoundary);
            await harness.WaitAcquiredAsync(AcquireTimeout);
            long after = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(harness.Member);
            var clock = harness.Clock;
            double seconds = Stopwatch.GetElapsedTime(clock.AllocationStarted, clock.AcquiredAt).TotalSeconds;
            var figures = new MemoryFigures(items, after - before, seconds, clock.AllocationCounts);
            context.Progress($"ours  memory {items}: {Format.Megabytes(figures.Bytes)}, acquired in {Format.Duration(seconds)}");
            return figures;
        }
        finally
        {
            await context.RemoveTreeAsync(path);
        }
    }
}
