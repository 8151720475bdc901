using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation.Running;

/// <summary>
/// Cooperative parties in the simulator: real shells and Core in cooperative mode, whose every stop of an item's work
/// the hand-off check judges against the server's party history.
/// </summary>
public sealed class CooperativePartyTests
{
    private const int Items = 200;

    [Fact]
    public void AJoin_StopsOnlyTheItemsThatMove_AndSettlesOnTheStickyShares()
    {
        // Five members settle, then a sixth joins: only the items the sticky function moves to it are given up.
        var result = Simulator.Run(Party(members: 5, new FaultEvent(TimeSpan.FromSeconds(4), FaultKind.Join, 0, TimeSpan.Zero)));

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");
        Assert.NotNull(result.ConvergedAt);

        // What the function itself moves on this join, computed here from the two parties' shares.
        var before = Shares(["m0", "m1", "m2", "m3", "m4"]);
        var after = Shares(["m0", "m1", "m2", "m3", "m4", "m5"]);
        int moved = before.Sum(kv => kv.Value.Count(item => !after[kv.Key].Contains(item)));
        Assert.True(moved > 0);
        Assert.Equal(moved, result.ItemsRevoked);
        Assert.Equal(0, result.ItemsLost);

        // Every item was assigned once at the start, and each moved item once more to its new owner.
        Assert.Equal(Items + moved, result.ItemsAssigned);
    }

    [Fact]
    public void ALeave_RevokesOnlyWhatTheFunctionMovesAmongTheStayers()
    {
        var result = Simulator.Run(Party(members: 5, new FaultEvent(TimeSpan.FromSeconds(4), FaultKind.Leave, 2, TimeSpan.Zero)));

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");

        // The staying members take the leaver's items; to even out, the sticky function may also move a few items
        // between stayers, and those are the only items a staying member gives up (the leaver's work stops as it
        // finishes, which is not a revocation).
        var before = Shares(["m0", "m1", "m2", "m3", "m4"]);
        var after = Shares(["m0", "m1", "m3", "m4"]);
        int keptByStayers = before.Where(kv => kv.Key != "m2").Sum(kv => kv.Value.Count(after[kv.Key].Contains));
        int heldByStayers = before.Where(kv => kv.Key != "m2").Sum(kv => kv.Value.Count);
        Assert.Equal(heldByStayers - keptByStayers, result.ItemsRevoked);
        Assert.Equal(before["m2"].Count + (heldByStayers - keptByStayers), result.ItemsAssigned - Items);
    }

    [Fact]
    public void MembersRunningAnotherFunction_ThanTheCheckHoldsThemTo_AreCaughtInterruptingItemsThatStay()
    {
        // Round-robin reshuffles almost every item on a join; the check, which holds the members to the sticky function,
        // sees items given up that every party kept with their member.
        var result = Simulator.Run(
            Party(members: 5, new FaultEvent(TimeSpan.FromSeconds(4), FaultKind.Join, 0, TimeSpan.Zero)),
            new SimulationOptions { CooperativeFunctionOverride = PartitionFunctions.RoundRobin });

        Assert.Equal(SimulationOutcome.SafetyViolation, result.Outcome);
        Assert.Equal(ViolationKind.Interruption, result.Violation!.Kind);
        Assert.Contains("gave up item", result.Violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnderFaults_ACooperativeParty_KeepsEveryCheck_AndEveryLossComesWithoutAClaim()
    {
        // A partition longer than the session and a crash: items are lost (the members can no longer vouch for
        // their locks), each judged at the instant of its loss; the party then settles on the sticky shares again.
        var result = Simulator.Run(Party(
            members: 4,
            new FaultEvent(TimeSpan.FromSeconds(4), FaultKind.LongPartition, 1, TimeSpan.FromSeconds(6)),
            new FaultEvent(TimeSpan.FromSeconds(6), FaultKind.Crash, 3, TimeSpan.FromSeconds(2))));

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");
        Assert.True(result.ItemsLost > 0, "the partitioned member's items were lost");
    }

    [Fact]
    public void AHandOff_GivesTheItemAHigherToken_SoARevokedWorksLateWriteIsRefused()
    {
        // Some revoked works have a write still on its way when they return (see SimulatedMember.StopItem); after a join,
        // some arrive once the item's new owner has begun with the token of its own, newer, lock node.
        var join = Party(members: 5, new FaultEvent(TimeSpan.FromSeconds(4), FaultKind.Join, 0, TimeSpan.Zero));
        var result = Simulator.Run(join);

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");
        Assert.True(result.StoreWritesRefused > 0, "late writes of revoked items were refused");

        // The same hand-offs with one token for every owner: the store takes a late write over the new owner's.
        var broken = Simulator.Run(join, new SimulationOptions { TokenOverride = _ => 1 });
        Assert.Equal(ViolationKind.StaleWrite, broken.Violation?.Kind);
    }

    [Fact]
    public void AMixedParty_ItsCooperativeMembersStopNamingTheMismatch_AndTheEagerOnesShareEverything()
    {
        var result = Simulator.Run(Party(members: 4, PartyRebalance.Mixed, kazoo: 1));

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");

        // m0 and m2 are cooperative; each names a member that declares nothing and stops for good.
        foreach (var cooperative in new[] { "m0", "m2" })
        {
            Assert.Contains(result.Timeline, line => line.Contains($"{cooperative} Allocating -> Failure", StringComparison.Ordinal)
                && line.Contains("declares nothing", StringComparison.Ordinal));
            Assert.Contains(result.Timeline, line => line.Contains($"{cooperative} stops: its party is misconfigured", StringComparison.Ordinal));
        }

        Assert.Equal(0, result.ItemsAssigned);
    }

    [Fact]
    public void AMixedParty_WhoseEagerMembersAllLeave_HasNothingLeftToConverge()
    {
        // CLI soak seed 1264 (mixed, 2 members): m0 stopped on finding m1 eager, then m1 left for good; the run
        // reported "no member is present" as a liveness failure, where nothing was left to converge.
        var result = Simulator.Run(Party(members: 2, PartyRebalance.Mixed, kazoo: 0, new FaultEvent(TimeSpan.FromSeconds(3), FaultKind.Leave, 1, TimeSpan.Zero)));

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");
        Assert.Contains(result.Timeline, line => line.Contains("m0 stops: its party is misconfigured", StringComparison.Ordinal));
    }

    [Theory]
    // CLI soak, mixed: the cooperative members stopped before their first round, so half the items had no lock folder;
    // the eager m1, presuming its new share's folders existed, found them missing one per round trip (a multiRead
    // reported the first of its batch only) and was still allocating 30 s later.
    [InlineData("seed=1356;members=4;items=1999;session=4188;boundary=443;reaction=985;latency=26;release=48;phase=10000;watches=FireDisconnected;frame=1048575;stale=3112;drift=0;servers=3;transients=54;rebalance=mixed;faults=8459:SlowConsumer:26:1962")]
    // CLI soak, cooperative: m7's claim window closed and opened again with no decision, and the checks' cache of its
    // claim, renewed by the shell's ownership events rather than by Core's decisions, kept an item it had since given up
    // (a false lock disagreement).
    [InlineData("seed=6034;members=8;items=16;session=2142;boundary=283;reaction=444;latency=26;release=20;phase=10000;watches=FireDisconnected;frame=1048575;stale=0;drift=0;servers=3;rebalance=cooperative;faults=194:RequestsHeld:8:3958,207:OperatorDeletesPartyNode:40:0,474:Join:44:0,828:ShortPartition:7:1218,2529:TransientReplies:58:567,4080:ShortPartition:32:1160,5576:Join:44:0,5815:RepliesHeld:12:4052,6093:Pause:13:2584,8248:ServerRestart:53:1706,9169:Crash:66:2065,9187:Leave:60:0,9996:ConnectionLoss:45:0")]
    // CLI soak, cooperative: m2 crashed and came back while its old session's party node was still there; the new m2,
    // whose node sorts after the old one, was standby and gave up every item, as it must, but the check took the two
    // nodes for one member and saw an item given up that every party kept with m2.
    [InlineData("seed=55614;members=4;items=16;session=4442;boundary=215;reaction=637;latency=23;release=99;phase=10000;watches=FireDisconnected;frame=1048575;stale=3336;drift=0;servers=3;transients=51;rebalance=cooperative;faults=71:FollowerCut:22:3398,706:Crash:94:1741,5490:Pause:7:8972,6411:SlowConsumer:4:2112,6991:OperatorDeletesPartyNode:15:0")]
    public void SoakScenario_Passes(string spec)
    {
        var result = Simulator.Run(Scenario.Parse(spec));

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Violation}\n{string.Join('\n', result.Timeline)}");
    }

    private static Scenario Party(int members, params FaultEvent[] faults) => Party(members, PartyRebalance.Cooperative, kazoo: 0, faults);

    private static Scenario Party(int members, PartyRebalance rebalance, int kazoo, params FaultEvent[] faults) => (TestScenarios.Quiet with
    {
        Seed = 20261202,
        Members = members,
        Items = Items,
        SessionTimeout = TimeSpan.FromSeconds(4),
        TimeBoundary = TimeSpan.FromMilliseconds(200),
        MaxReactionTime = TimeSpan.FromMilliseconds(500),
        Rebalance = rebalance,
        KazooMembers = kazoo,
        Faults = [.. faults],
    }).Validate();

    private static Dictionary<string, HashSet<string>> Shares(ImmutableArray<string> members)
    {
        var items = Enumerable.Range(0, Items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .Order(StringComparer.Ordinal).ToImmutableArray();
        return members.ToDictionary(m => m, m => PartitionFunctions.Sticky(m, members, items).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);
    }
}
