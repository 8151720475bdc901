using System.Diagnostics;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>The figures of the rebalance case.</summary>
/// <param name="Ours">Seconds from the join until all members are Acquired, minus the time boundary, one per timed run.</param>
/// <param name="Requests">Requests all members sent from the join until all were Acquired (the last run's).</param>
/// <param name="Operations">ZooKeeper operations inside those requests (the last run's).</param>
/// <param name="Kazoo">kazoo's figure, one per run.</param>
/// <param name="CriticalPath">
/// Per timed run, the last member to reach Acquired: seconds from the join to each of its steps, in the order of
/// <see cref="PhaseMarks"/> (NaN for a step it did not take).
/// </param>
internal sealed record RebalanceFigures(List<double> Ours, long Requests, long Operations, List<double> Kazoo, List<double[]> CriticalPath);

/// <summary>
/// Eight members share 2,000 items; a ninth joins. The clock starts just before the ninth member is created
/// (its client already connected) and stops at the last member's entry into Acquired, as that member's
/// decision thread saw it.
/// </summary>
internal sealed class RebalanceBench(BenchContext context)
{
    private const int WarmUpRuns = 2;
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);

    public async Task<RebalanceFigures> RunAsync()
    {
        for (int run = 0; run < WarmUpRuns; run++)
        {
            await RunOursAsync(); // Not counted: nine members' release and re-allocation paths get compiled.
        }
        var figures = new RebalanceFigures([], 0, 0, [], []);
        for (int run = 0; run < context.Mode.OurRepetitions; run++)
        {
            var (seconds, counts, path) = await RunOursAsync();
            figures.Ours.Add(seconds);
            figures.CriticalPath.Add(path);
            figures = figures with { Requests = counts.Requests, Operations = counts.Operations };
            context.Progress($"ours  rebalance: {Format.Duration(seconds)}, {counts.Requests} requests, {counts.Operations} ops");
        }

        for (int run = 0; context.Mode.KazooRebalance && run < context.Mode.KazooRepetitions; run++)
        {
            var figure = await context.Kazoo.RebalanceAsync(BenchMode.RebalanceMembers, BenchMode.RebalanceItems);
            await context.RemoveTreeAsync(figure.Path);
            figures.Kazoo.Add(figure.Seconds);
            context.Progress($"kazoo rebalance: {Format.Duration(figure.Seconds)}");
        }

        return figures;
    }

    /// <summary>One more run, printing every member's decisions after the join with their times since it (for profiling).</summary>
    public async Task TraceAsync()
    {
        var (seconds, _, _) = await RunOursAsync(trace: (joined, group) =>
        {
            foreach (var member in group)
            {
                context.Progress($"member {member.Member!.Config.Identifier}:");
                foreach (var (timestamp, line) in member.Clock.Trace!.Where(t => t.Timestamp >= joined))
                {
                    context.Progress($"  {Format.Duration(Stopwatch.GetElapsedTime(joined, timestamp).TotalSeconds),10} {line}");
                }
            }
        });
        context.Progress($"rebalance: {Format.Duration(seconds)} after subtracting the time boundary");
    }

    private async Task<(double Seconds, OperationCounts Counts, double[] CriticalPath)> RunOursAsync(Action<long, List<MemberHarness>>? trace = null)
    {
        string path = context.NewPath();
        var items = MemberHarness.Items(BenchMode.RebalanceItems);
        using var acquired = new SemaphoreSlim(0);
        var group = new List<MemberHarness>();
        try
        {
            for (int i = 0; i <= BenchMode.RebalanceMembers; i++)
            {
                group.Add(await MemberHarness.ConnectAsync(context.ConnectString, () => acquired.Release(), trace: trace is not null));
            }

            for (int i = 0; i < BenchMode.RebalanceMembers; i++)
            {
                group[i].Start(path, items, $"m{i}", context.TimeBoundary);
            }

            await WaitAllAcquiredAsync(group.GetRange(0, BenchMode.RebalanceMembers), since: 0, acquired);
            var before = Sum(group);
            long joined = Stopwatch.GetTimestamp();
            group[^1].Start(path, items, $"m{BenchMode.RebalanceMembers}", context.TimeBoundary);
            await WaitAllAcquiredAsync(group, joined, acquired);
            long end = group.Max(m => m.Clock.AcquiredAt);
            trace?.Invoke(joined, group);
            double seconds = (Stopwatch.GetElapsedTime(joined, end) - context.TimeBoundary).TotalSeconds;
            var last = group.MaxBy(m => m.Clock.AcquiredAt)!.Clock.Phases;
            return (seconds, Sum(group) - before, SinceJoin(joined, last));
        }
        finally
        {
            foreach (var member in group)
            {
                await member.DisposeAsync();
            }

            await context.RemoveTreeAsync(path);
        }
    }

    /// <summary>Waits until every member is Acquired and entered that state after <paramref name="since"/>.</summary>
    private static async Task WaitAllAcquiredAsync(List<MemberHarness> members, long since, SemaphoreSlim acquired)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(SettleTimeout.TotalSeconds * Stopwatch.Frequency);
        while (!members.All(m => m.Member!.Acquired && m.Clock.AcquiredAt > since))
        {
            long left = deadline - Stopwatch.GetTimestamp();
            if (left <= 0)
            {
                var states = string.Join(", ", members.Select(m => $"{m.Member!.Config.Identifier}={m.Member.State}"));
                throw new InvalidOperationException($"The party did not settle within {SettleTimeout}: {states}");
            }

            await acquired.WaitAsync(TimeSpan.FromMilliseconds(50));
        }
    }

    private static double[] SinceJoin(long joined, PhaseMarks marks) =>
        [.. new[] { marks.Release, marks.Released, marks.TimerStarted, marks.AllocationStarted, marks.FoldersRead, marks.Acquired }
            .Select(t => t > joined ? Stopwatch.GetElapsedTime(joined, t).TotalSeconds : double.NaN)];

    private static OperationCounts Sum(List<MemberHarness> members) =>
        members.Aggregate(default(OperationCounts), (total, m) => total + m.Port.Counts);
}
