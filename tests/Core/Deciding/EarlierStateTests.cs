using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>
/// Core builds each decision's state partly in place, in collections private to that decision. These tests decide
/// again on every earlier state of a large allocation, after all the later decisions were made: if any later decision
/// had changed an earlier state, deciding on it again would give other commands or another state.
/// </summary>
public sealed class EarlierStateTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Decide_OnEveryEarlierStateOfALargeAllocation_GivesTheSameDecisionAgain(bool statsInMultiResults)
    {
        // 1,500 items in batches of 100: many multis, and more items than one chunk of Core's arrays holds.
        var cluster = new Cluster();
        cluster.Zk.StatsInMultiResults = statsInMultiResults;
        var config = Configs.For("solo", 1_500, batchSize: 100);
        var member = cluster.Join(config);
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);

        var states = new List<MemberState>();
        var decisions = new List<Decision>();
        var state = Decider.Start(config).State;
        foreach (var @event in member.Delivered)
        {
            states.Add(state);
            var decision = Decider.Decide(state, @event);
            decisions.Add(decision);
            state = decision.State;
        }

        Assert.Equal(1_500, state.OwnedItems.Length);
        for (int i = 0; i < states.Count; i++)
        {
            var again = Decider.Decide(states[i], member.Delivered[i]);
            Assert.Equal(Describe(decisions[i]), Describe(again));
        }
    }

    /// <summary>A decision by value: its public state, owned items with tokens, and every command with its contents.</summary>
    private static string Describe(Decision decision) =>
        $"{decision.State.PartitionState} {decision.State.StateId} {decision.State.FailureReason} "
        + string.Join(",", decision.State.OwnedItems.Select(item => $"{item.Name}={item.FencingToken}"))
        + " | " + string.Join(" ; ", decision.Commands.Select(command => command switch
        {
            CreateNode c => $"create {c.OpId} {c.Path} {c.Kind}",
            Multi m => $"multi {m.OpId} " + string.Join(",", m.Ops.Select(op => op.ToString())),
            MultiGetChildren r => $"multiread {r.OpId} " + string.Join(",", r.Paths),
            MultiGetStat s => $"multistat {s.OpId} " + string.Join(",", s.Paths),
            _ => command.ToString(),
        }));
}
