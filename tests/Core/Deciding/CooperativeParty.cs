using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>
/// Cooperative members on the scripted ZooKeeper, with the checks every cooperative test keeps after every decision:
/// a claimed item is one whose lowest lock node is the member's, with that node's creation zxid as its token (so no
/// two members claim an item at once), and an item leaves a member's claims only through a stop of its work or the
/// end of every claim (a state other than Acquired).
/// </summary>
internal sealed class CooperativeParty
{
    private readonly Dictionary<TestMember, (ImmutableArray<OwnedItem> Owned, int Commands)> _before = [];

    public CooperativeParty()
    {
        Cluster.AfterEachDecision = Check;
    }

    public Cluster Cluster { get; } = new();

    /// <summary>Every violation seen, in order; a test asserts it stays empty.</summary>
    public List<string> Violations { get; } = [];

    public static PartitionerConfig Config(string identifier, IEnumerable<string> items, int batchSize = 250) =>
        Configs.For(identifier, items, batchSize: batchSize) with { Rebalance = RebalanceMode.Cooperative };

    public TestMember Join(string identifier, IEnumerable<string> items, int batchSize = 250)
    {
        var member = Cluster.Join(Config(identifier, items, batchSize));
        _before[member] = (member.State.OwnedItems, member.Commands.Count);
        return member;
    }

    /// <summary>The stops of item work the member asked for and no one has answered, taken from its notifications.</summary>
    public static List<StopItemWork> TakeStops(TestMember member)
    {
        var stops = member.Notifications.OfType<StopItemWork>().ToList();
        member.Notifications.Clear();
        return stops;
    }

    /// <summary>The shell's answer: the work on <paramref name="stop"/>'s item returned; then settles.</summary>
    public void Return(TestMember member, StopItemWork stop)
    {
        Cluster.Deliver(member, new ItemWorkStopped(stop.OpId));
        Cluster.Settle();
    }

    /// <summary>Settles, answering every stop at once (work that returns as soon as it is told), until nothing is left.</summary>
    public void SettleReturningWork()
    {
        for (int steps = 0; steps < 10_000; steps++)
        {
            Cluster.Settle();
            var member = Cluster.Members.FirstOrDefault(m => !m.Paused && m.Notifications.Count > 0);
            if (member is null)
            {
                return;
            }

            var stop = (StopItemWork)member.Notifications.Dequeue();
            Cluster.Deliver(member, new ItemWorkStopped(stop.OpId));
        }

        throw new InvalidOperationException("The party did not settle.");
    }

    /// <summary>As <see cref="Cluster.RunUntilQuiet"/>, answering every stop at once.</summary>
    public void RunUntilQuiet()
    {
        SettleReturningWork();
        for (int round = 0; round < 50 && Cluster.Members.Any(m => !m.Paused && m.Timers.Count > 0); round++)
        {
            foreach (var member in Cluster.Members.Where(m => !m.Paused).ToList())
            {
                foreach (long timer in member.Timers.ToList())
                {
                    if (member.Timers.Remove(timer))
                    {
                        Cluster.Deliver(member, new TimerFired(timer));
                        SettleReturningWork();
                    }
                }
            }
        }
    }

    /// <summary>Fires the member's running timers (the stability wait's), settling without answering stops.</summary>
    public void FireTimers(params TestMember[] members)
    {
        foreach (var member in members)
        {
            Cluster.FireTimers(member);
        }
    }

    /// <summary>The path of this member's lock node for <paramref name="item"/>, or null when it has none.</summary>
    public string? NodeOf(TestMember member, string item) =>
        Cluster.LockNodesOf(member).FirstOrDefault(n => n.StartsWith(item + "/", StringComparison.Ordinal)) is { } node
            ? "/p/locks/" + node
            : null;

    /// <summary>True when the member sent a delete of <paramref name="path"/> (alone or in a multi) at any time.</summary>
    public static bool SentDeleteOf(TestMember member, string path) =>
        member.Commands.Any(c => c is DeleteNode d && d.Path == path || c is Multi m && m.Ops.Any(op => op is DeleteOp d && d.Path == path));

    private void Check(TestMember member)
    {
        var state = member.State;
        var (previous, commandsBefore) = _before.GetValueOrDefault(member, ([], 0));
        var stopped = member.Commands.Skip(commandsBefore).OfType<StopItemWork>().Select(s => s.Item).ToHashSet(StringComparer.Ordinal);
        _before[member] = (state.OwnedItems, member.Commands.Count);

        if (state.PartitionState == PartitionState.Acquired)
        {
            foreach (var gone in previous.Where(p => !state.OwnedItems.Any(o => o.Name == p.Name) && !stopped.Contains(p.Name)))
            {
                Violations.Add($"{state.Config.Identifier} stopped claiming {gone.Name} without a stop of its work");
            }

            foreach (var kept in previous.Where(p => state.OwnedItems.Any(o => o.Name == p.Name && o.FencingToken != p.FencingToken)))
            {
                Violations.Add($"{state.Config.Identifier} changed the token of {kept.Name} while claiming it");
            }
        }

        foreach (var owned in state.OwnedItems)
        {
            string folder = "/p/locks/" + owned.Name;
            var lowest = Cluster.Zk.ChildrenOf(folder).MinBy(child => child[^10..], StringComparer.Ordinal);
            if (lowest is null || !lowest.StartsWith(state.Config.ContenderPrefix, StringComparison.Ordinal))
            {
                Violations.Add($"{state.Config.Identifier} claims {owned.Name}, whose lowest lock node is {lowest ?? "none"}");
            }
            else if (Cluster.Zk.CreatedZxidOf(folder + "/" + lowest) != owned.FencingToken)
            {
                Violations.Add($"{state.Config.Identifier} claims {owned.Name} with token {owned.FencingToken}, not its node's creation zxid");
            }
        }
    }
}
