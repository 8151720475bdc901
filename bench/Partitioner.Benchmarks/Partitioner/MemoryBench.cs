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

    public async Task<MemoryFigures> RunAsync(int items, string? label = null)
    {
        string path = context.NewPath();
        var names = MemberHarness.Items(items);
        try
        {
            await using var harness = await MemberHarness.ConnectAsync(context.ConnectString, trace: true);
            long before = GC.GetTotalMemory(forceFullCollection: true);
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            double serverCpu = context.ServerCpuSeconds();
            harness.Start(path, names, "memory", context.TimeBoundary);
            await harness.WaitAcquiredAsync(AcquireTimeout);
            double ourCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            serverCpu = context.ServerCpuSeconds() - serverCpu;
            long after = GC.GetTotalMemory(forceFullCollection: true);
            GC.KeepAlive(harness.Member);
            var clock = harness.Clock;
            double seconds = Stopwatch.GetElapsedTime(clock.AllocationStarted, clock.AcquiredAt).TotalSeconds;
            var figures = new MemoryFigures(items, after - before, seconds, clock.AllocationCounts);
            context.Progress($"ours  memory {items}{(label is null ? "" : $" ({label})")}: {Format.Megabytes(figures.Bytes)}, acquired in {Format.Duration(seconds)} ({clock.AllocationCounts.Requests} requests); "
                + $"CPU from creating the member to Acquired: this process {Format.Duration(ourCpu)}, the server {Format.Duration(serverCpu)}; {Replies(clock)}");
            return figures;
        }
        finally
        {
            await context.RemoveTreeAsync(path);
        }
    }

    /// <summary>
    /// When the answers came, from the allocation's start: the first, the median gap between two, and the last. A
    /// first answer late means the requests' sending (or the server's first reply) waited; even gaps after it mean the
    /// answers came at the server's pace.
    /// </summary>
    private static string Replies(AllocationClock clock)
    {
        var answers = clock.Trace!
            .Where(entry => entry.Timestamp > clock.AllocationStarted && entry.Timestamp <= clock.AcquiredAt)
            .Select(entry => entry.Timestamp)
            .ToList();
        if (answers.Count < 2)
        {
            return "too few answers to time";
        }

        var gaps = answers.Zip(answers.Skip(1), (a, b) => Stopwatch.GetElapsedTime(a, b).TotalSeconds).ToList();
        return $"{answers.Count} decisions after the start: the first {Format.Duration(Stopwatch.GetElapsedTime(clock.AllocationStarted, answers[0]).TotalSeconds)} after it, "
            + $"then one every {Format.Duration(Median.Of(gaps))} (median; the longest gap {Format.Duration(gaps.Max())})";
    }
}
