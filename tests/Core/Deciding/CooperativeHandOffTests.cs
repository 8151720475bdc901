using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>
/// Cooperative mode's incremental hand-off. Six items "0".."5" and kazoo's round-robin: members a, b own [0, 2, 4] and
/// [1, 3, 5]; with c they own [0, 3], [1, 4], [2, 5]; with d too, [0, 4], [1, 5], [2], [3]. So when c joins, a keeps 0,
/// gives up 2 and 4 and takes 3 from b; b keeps 1, gives up 3 and 5 and takes 4 from a; c takes 2 and 5.
/// </summary>
public sealed class CooperativeHandOffTests
{
    private static readonly string[] Items = ["0", "1", "2", "3", "4", "5"];

    /// <summary>a and b cooperative and Acquired; then c joins and every wait has ended, with no work returned yet.</summary>
    private static (CooperativeParty Party, TestMember A, TestMember B, TestMember C) HandingOff()
    {
        var party = new CooperativeParty();
        var a = party.Join("a", Items);
        var b = party.Join("b", Items);
        party.RunUntilQuiet();
        Assert.Equal(["0", "2", "4"], a.Acquired);
        Assert.Equal(["1", "3", "5"], b.Acquired);

        var c = party.Join("c", Items);
        party.Cluster.Settle();
        party.FireTimers(a, b, c);
        return (party, a, b, c);
    }

    [Fact]
    public void Join_KeepsEveryStayingItemsLockNodeAndTokenAndSendsNoDeleteForIt()
    {
        var party = new CooperativeParty();
        var a = party.Join("a", Items);
        var b = party.Join("b", Items);
        party.RunUntilQuiet();
        string nodeOf0 = party.NodeOf(a, "0")!;
        string nodeOf1 = party.NodeOf(b, "1")!;
        long tokenOf0 = a.State.OwnedItems.Single(o => o.Name == "0").FencingToken;
        var statesOfA = new List<MemberState>();
        party.Cluster.AfterEachDecision += member => { if (member == a) { statesOfA.Add(member.State); } };

        var c = party.Join("c", Items);
        party.RunUntilQuiet();

        Assert.Empty(party.Violations);
        Assert.NotEmpty(statesOfA);
        Assert.All(statesOfA, s => Assert.Equal(PartitionState.Acquired, s.PartitionState));
        Assert.All(statesOfA, s => Assert.Contains("0", s.AcquiredItems));
        Assert.Equal(nodeOf0, party.NodeOf(a, "0"));
        Assert.Equal(nodeOf1, party.NodeOf(b, "1"));
        Assert.False(CooperativeParty.SentDeleteOf(a, nodeOf0));
        Assert.False(CooperativeParty.SentDeleteOf(b, nodeOf1));
        Assert.Equal(tokenOf0, a.State.OwnedItems.Single(o => o.Name == "0").FencingToken);
        Assert.Equal(["0", "3"], a.Acquired);
        Assert.Equal(["1", "4"], b.Acquired);
        Assert.Equal(["2", "5"], c.Acquired);
    }

    [Fact]
    public void Join_DuringTheStabilityWait_StopsNothing()
    {
        var party = new CooperativeParty();
        var a = party.Join("a", Items);
        var b = party.Join("b", Items);
        party.RunUntilQuiet();
        int sent = a.Commands.Count;

        party.Join("c", Items);
        party.Cluster.Settle();

        Assert.Equal(PartitionState.Acquired, a.State.PartitionState);
        Assert.Equal(["0", "2", "4"], a.Acquired);
        Assert.Empty(a.Notifications);
        Assert.DoesNotContain(a.Commands.Skip(sent), c => c is Multi m && m.Ops.Any(op => op is DeleteOp));
        Assert.Single(a.Timers);
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void WaitEnded_RevokesOnlyTheLeavingItemsAndKeepsTheirLockNodesUntilTheirWorkReturns()
    {
        var (party, a, b, c) = HandingOff();

        Assert.Equal(["2", "4"], CooperativeParty.TakeStops(a).Select(s => s.Item));
        Assert.Equal(["3", "5"], CooperativeParty.TakeStops(b).Select(s => s.Item));
        Assert.Empty(CooperativeParty.TakeStops(c));
        Assert.Equal(["0"], a.Acquired);
        Assert.Equal(["1"], b.Acquired);
        Assert.Equal(PartitionState.Acquired, c.State.PartitionState);
        Assert.Empty(c.Acquired);
        foreach (var (member, item) in new[] { (a, "2"), (a, "4"), (b, "3"), (b, "5") })
        {
            string node = party.NodeOf(member, item)!;
            Assert.NotNull(node);
            Assert.False(CooperativeParty.SentDeleteOf(member, node), $"{item}'s node was deleted before its work returned");
        }

        Assert.Empty(party.Violations);
    }

    [Fact]
    public void WorkReturned_DeletesThatItemsLockNodeOnlyAndItsNextOwnerTakesItWithAHigherToken()
    {
        var (party, a, b, c) = HandingOff();
        var stopsOfB = CooperativeParty.TakeStops(b);
        long tokenOf3AtB = party.Cluster.Zk.CreatedZxidOf(party.NodeOf(b, "3")!);
        string nodeOf5 = party.NodeOf(b, "5")!;

        party.Return(b, stopsOfB.Single(s => s.Item == "3"));

        Assert.Null(party.NodeOf(b, "3"));
        Assert.Equal(nodeOf5, party.NodeOf(b, "5"));
        Assert.Equal(["0", "3"], a.Acquired);
        Assert.True(a.State.OwnedItems.Single(o => o.Name == "3").FencingToken > tokenOf3AtB);
        Assert.Empty(c.Acquired);
        Assert.Equal(["1"], b.Acquired);
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void ArrivingItem_IsClaimedOnlyOnceItsLockNodeIsTheLowest()
    {
        var (party, a, b, c) = HandingOff();
        var stopsOfA = CooperativeParty.TakeStops(a);

        // c queues for 2 behind a's node; a's work on 2 returns, then c's node is the lowest.
        Assert.NotNull(party.NodeOf(c, "2"));
        Assert.DoesNotContain("2", c.Acquired);
        party.Return(a, stopsOfA.Single(s => s.Item == "2"));

        Assert.Equal(["2"], c.Acquired);
        Assert.Equal(party.Cluster.Zk.CreatedZxidOf(party.NodeOf(c, "2")!), c.State.OwnedItems.Single().FencingToken);
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void EveryWorkReturned_EndsWithTheNewSharesAndNoLockNodeLeft()
    {
        var (party, a, b, c) = HandingOff();

        party.SettleReturningWork();

        Assert.Equal(["0", "3"], a.Acquired);
        Assert.Equal(["1", "4"], b.Acquired);
        Assert.Equal(["2", "5"], c.Acquired);
        foreach (var member in new[] { a, b, c })
        {
            Assert.Equal(member.Acquired, party.Cluster.LockNodesOf(member).Select(n => n.Split('/')[0]));
            Assert.IsType<HoldingPhase>(member.State.Phase);
        }

        Assert.Empty(party.Violations);
    }

    [Fact]
    public void PartyChange_DuringAHandOff_RestartsTheWaitWithoutReleasingClaimedItemsAndDropsQueuedNodes()
    {
        var (party, a, b, c) = HandingOff();
        string nodeOf0 = party.NodeOf(a, "0")!;
        int sentByA = a.Commands.Count;

        party.Join("d", Items);
        party.Cluster.Settle();

        Assert.Equal(PartitionState.Acquired, a.State.PartitionState);
        Assert.Equal(["0"], a.Acquired);
        Assert.IsType<WaitingPhase>(a.State.Phase);
        Assert.Equal(nodeOf0, party.NodeOf(a, "0"));
        // a's node queued for 3 (behind b's) goes; its revoked 2 and 4 keep theirs until their work returns.
        Assert.Null(party.NodeOf(a, "3"));
        Assert.NotNull(party.NodeOf(a, "2"));
        Assert.NotNull(party.NodeOf(a, "4"));
        Assert.Empty(a.Commands.Skip(sentByA).OfType<StopItemWork>());
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void RevokedItem_WantedAgainBeforeItsWorkReturned_IsClaimedAgainWithItsNodeAndToken()
    {
        var (party, a, b, c) = HandingOff();
        var stopsOfA = CooperativeParty.TakeStops(a);
        string nodeOf4 = party.NodeOf(a, "4")!;
        long tokenOf4 = party.Cluster.Zk.CreatedZxidOf(nodeOf4);
        var d = party.Join("d", Items);
        party.Cluster.Settle();
        party.FireTimers(a, b, c, d);

        party.Return(a, stopsOfA.Single(s => s.Item == "4"));

        Assert.Contains("4", a.Acquired);
        Assert.Equal(nodeOf4, party.NodeOf(a, "4"));
        Assert.Equal(tokenOf4, a.State.OwnedItems.Single(o => o.Name == "4").FencingToken);
        Assert.False(CooperativeParty.SentDeleteOf(a, nodeOf4));
        party.Return(a, stopsOfA.Single(s => s.Item == "2"));
        party.SettleReturningWork();
        party.RunUntilQuiet();
        Assert.Equal(["0", "4"], a.Acquired);
        Assert.Equal(["1", "5"], b.Acquired);
        Assert.Equal(["2"], c.Acquired);
        Assert.Equal(["3"], d.Acquired);
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void WorkStopped_DeliveredTwice_ChangesNothingTheSecondTime()
    {
        var (party, a, _, _) = HandingOff();
        var stop = CooperativeParty.TakeStops(a)[0];
        party.Return(a, stop);

        var again = Decider.Decide(a.State, new ItemWorkStopped(stop.OpId));

        Assert.Equal(a.State, again.State);
        Assert.Empty(again.Commands);
    }

    [Fact]
    public void Suspended_DuringAHandOff_EndsEveryClaimAndKeepsClaimedAndRevokedNodesUntilRelease()
    {
        var (party, a, _, _) = HandingOff();
        var stopsOfA = CooperativeParty.TakeStops(a);
        string nodeOf0 = party.NodeOf(a, "0")!;

        party.Cluster.Deliver(a, new SessionSuspended());
        party.Cluster.Settle();

        Assert.Equal(PartitionState.Release, a.State.PartitionState);
        Assert.Empty(a.Acquired);
        Assert.Empty(a.State.OwnedItems);
        Assert.Equal(nodeOf0, party.NodeOf(a, "0"));
        Assert.NotNull(party.NodeOf(a, "2"));
        Assert.Null(party.NodeOf(a, "3"));

        party.Cluster.Deliver(a, new SessionReconnected());
        party.Cluster.Deliver(a, new ReleaseRequested());
        party.Cluster.Settle();
        Assert.Empty(party.Cluster.LockNodesOf(a));
        var late = Decider.Decide(a.State, new ItemWorkStopped(stopsOfA[0].OpId));
        Assert.Equal(a.State, late.State);
        Assert.Empty(late.Commands);
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void Expired_DuringAHandOff_EndsInFailureWithNoClaim()
    {
        var (party, a, _, _) = HandingOff();

        party.Cluster.Deliver(a, new SessionExpired());

        Assert.Equal(PartitionState.Failure, a.State.PartitionState);
        Assert.Empty(a.Acquired);
        Assert.Empty(a.State.OwnedItems);
    }

    [Fact]
    public void Leave_TheOthersTakeTheLeaversItemsAndKeepTheirOwn()
    {
        var party = new CooperativeParty();
        var a = party.Join("a", Items);
        var b = party.Join("b", Items);
        var c = party.Join("c", Items);
        party.RunUntilQuiet();
        Assert.Equal(["0", "3"], a.Acquired);
        string nodeOf0 = party.NodeOf(a, "0")!;

        party.Cluster.Deliver(c, new FinishRequested());
        party.RunUntilQuiet();

        Assert.Equal(["0", "2", "4"], a.Acquired);
        Assert.Equal(["1", "3", "5"], b.Acquired);
        Assert.Equal(nodeOf0, party.NodeOf(a, "0"));
        Assert.False(CooperativeParty.SentDeleteOf(a, nodeOf0));
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void EagerMember_OnAJoin_StillReleasesItsWholeShare()
    {
        // The mode is the only difference: the same party in eager mode goes to Release with no item.
        var cluster = new Cluster();
        var a = cluster.Join(Configs.For("a", Items));
        cluster.Join(Configs.For("b", Items));
        cluster.RunUntilQuiet();

        cluster.Join(Configs.For("c", Items));
        cluster.Settle();

        Assert.Equal(PartitionState.Release, a.State.PartitionState);
        Assert.Empty(a.Acquired);
        Assert.Empty(a.Notifications);
    }
}
