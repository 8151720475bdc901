using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>The figures of one run of one implementation: the join, then the rolling restart.</summary>
internal sealed record HandOffRun(HandOffFigures Join, HandOffFigures Restart);

/// <summary>
/// The hand-off benchmark for C# members: <c>members</c> share the items, one more joins (scenario a); then every one
/// of them leaves and comes back, one after the other, the party settling after each leave and after each return
/// before the next step (scenario b). The party is settled when every member is Acquired and the works running are
/// exactly the shares the partition function gives for the party (from the work callbacks, not the members' states).
/// </summary>
internal sealed class HandOffBench(BenchContext context, HandOffSize size)
{
    private static readonly TimeSpan SettleTimeout = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan SettlePollInterval = TimeSpan.FromMilliseconds(5);

    public async Task<HandOffRun> RunAsync(RebalanceMode mode)
    {
        string path = context.NewPath();
        var items = ImmutableArray.Create(MemberHarness.Items(size.Items));
        var ledger = new WorkLedger();
        var members = new SortedDictionary<string, HandOffMember>(StringComparer.Ordinal);
        string[] ids = [.. Enumerable.Range(0, size.Members + 1).Select(i => $"m{i}")];
        try
        {
            foreach (string id in ids[..^1])
            {
                members[id] = await StartAsync(id);
            }

            await WaitSettledAsync();
            double joinFrom = HandOffMember.Now();
            members[ids[^1]] = await StartAsync(ids[^1]);
            var join = ledger.Measure(items, joinFrom, await WaitSettledAsync());
            context.Progress($"{Name(mode)} join: {Describe(join)}");

            double restartFrom = HandOffMember.Now();
            double restartTo = restartFrom;
            foreach (string id in ids)
            {
                var leaving = members[id];
                members.Remove(id);
                await leaving.DisposeAsync();
                await WaitSettledAsync();
                members[id] = await StartAsync(id);
                restartTo = await WaitSettledAsync();
            }

            var restart = ledger.Measure(items, restartFrom, restartTo);
            context.Progress($"{Name(mode)} rolling restart: {Describe(restart)}");
            return new HandOffRun(join, restart);
        }
        finally
        {
            foreach (var member in members.Values)
            {
                await member.DisposeAsync();
            }

            await context.RemoveTreeAsync(path);
        }

        Task<HandOffMember> StartAsync(string id) =>
            HandOffMember.StartAsync(context.ConnectString, path, items, id, mode, context.TimeBoundary, ledger);

        // Settled: every member Acquired and working on exactly its share of the current party; returns the instant found.
        async Task<double> WaitSettledAsync()
        {
            var party = ImmutableArray.CreateRange(members.Keys);
            var function = HandOffMember.FunctionOf(mode);
            var shares = party.ToDictionary(id => id, id => (IReadOnlyCollection<string>)function(id, party, items).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
            double deadline = HandOffMember.Now() + SettleTimeout.TotalSeconds;
            while (!(members.Values.All(m => m.Partitioner.Acquired) && ledger.WorksExactly(shares)))
            {
                if (HandOffMember.Now() > deadline)
                {
                    throw new InvalidOperationException($"{Name(mode)}: the party did not settle within {SettleTimeout}: "
                        + string.Join(", ", members.Select(m => $"{m.Key}={m.Value.Partitioner.State}{(m.Value.Partitioner.FailureReason is { } r ? $" ({r})" : "")}")));
                }

                await Task.Delay(SettlePollInterval);
            }

            return HandOffMember.Now();
        }
    }

    public static string Name(RebalanceMode mode) => mode == RebalanceMode.Cooperative ? "cooperative" : "eager";

    public static string Describe(HandOffFigures f) =>
        $"{f.ItemsMoved} items moved ({f.Moves} moves), {f.ItemsInterrupted} interrupted ({f.Interruptions}), "
        + $"{f.ItemSecondsLost:0.0} item-s lost, settled in {Format.Duration(f.SettledSeconds)}";
}

/// <summary>The party of the hand-off benchmark: members before the join, and the items they share.</summary>
internal readonly record struct HandOffSize(int Members, int Items);
