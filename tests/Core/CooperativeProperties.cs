using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Partitioner.Core;
using Partitioner.Tests.Core.Deciding;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core;

/// <summary>
/// Cooperative parties run against the scripted ZooKeeper, members joining late and one leaving: after every decision
/// no member claims an item whose lowest lock node is not its own (so no two claim one item), a claimed item keeps its
/// token, and an item leaves a member's claims only through a stop of its work; when stable, the claims cover the items
/// exactly with no lock node leaked; a duplicate of any result or work-stopped report changes nothing.
/// </summary>
public sealed class CooperativeProperties
{
    /// <summary>A party: how many members, items, the batch size, how many join late, and whether the first one leaves.</summary>
    public sealed record Scenario(int Members, int Items, int BatchSize, int LateJoiners, bool OneLeaves);

    private static Arbitrary<Scenario> Scenarios() =>
        (from members in Gen.Choose(1, 4)
         from items in Gen.Choose(0, 30)
         from batch in Gen.Choose(1, 7)
         from late in Gen.Choose(0, members - 1)
         from leaves in Gen.Elements(false, true)
         select new Scenario(members, items, batch, late, leaves && members > 1)).ToArbitrary();

    [Property(MaxTest = 60)]
    public Property Party_ThroughJoinsAndALeave_ClaimsOnlyLowestLocksAndEndsWithAnExactCover() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var party = Run(scenario);
            var live = party.Cluster.Members.Where(m => m.State.PartitionState != PartitionState.Failure).ToList();
            var owned = live.SelectMany(m => m.Acquired).ToList();
            bool allAcquired = live.All(m => m.State.PartitionState == PartitionState.Acquired);
            bool exactCover = owned.Count == scenario.Items && owned.Distinct().Count() == scenario.Items;
            bool noLeak = party.Cluster.Members.All(m =>
                party.Cluster.LockNodesOf(m).Select(node => node.Split('/')[0]).SequenceEqual(m.Acquired.Order(StringComparer.Ordinal)));
            return (party.Violations.Count == 0).Label(string.Join("; ", party.Violations.Take(3)))
                .And(allAcquired.Label("every live member Acquired"))
                .And(exactCover.Label("exact cover"))
                .And(noLeak.Label("no lock node leaked"));
        });

    [Property(MaxTest = 40)]
    public Property Party_WhenEveryResultAndWorkStoppedIsDeliveredAgain_NothingChanges() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var party = Run(scenario);

            return party.Cluster.Members.All(member => member.Delivered.Where(e => e is OperationCompleted or ItemWorkStopped).All(delivered =>
            {
                var again = Decider.Decide(member.State, delivered);
                return again.State == member.State && again.Commands.IsEmpty;
            }));
        });

    private static CooperativeParty Run(Scenario scenario)
    {
        var party = new CooperativeParty();
        var items = Enumerable.Range(0, scenario.Items).Select(i => "item-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int early = scenario.Members - scenario.LateJoiners;
        for (int i = 0; i < scenario.Members; i++)
        {
            party.Join("m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), items, scenario.BatchSize);
            if (i >= early - 1)
            {
                // Late joiners come after the party settled, one by one, with the hand-off of the last one half done.
                party.Cluster.Settle();
                party.FireTimers([.. party.Cluster.Members]);
            }
        }

        party.RunUntilQuiet();
        if (scenario.OneLeaves)
        {
            party.Cluster.Deliver(party.Cluster.Members[0], new FinishRequested());
            party.RunUntilQuiet();
        }

        return party;
    }
}
