using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>After a release the next stability wait starts with the deletes, but the member allocates only once they are done.</summary>
public sealed class ReleaseWaitTests
{
    /// <summary>An acquired member whose events now wait in its inbox until the test hands them over.</summary>
    private static (Cluster Cluster, TestMember Member) AcquiredAndPaused(params string[] items)
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", items));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        member.Paused = true;
        return (cluster, member);
    }

    [Fact]
    public void Release_WhenRequested_SendsThePartyReadInTheSameDecisionAsTheDeletes()
    {
        var (cluster, member) = AcquiredAndPaused("a", "b");

        var request = cluster.Deliver(member, new ReleaseRequested());

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(2, Assert.IsType<Multi>(request.Commands[0]).Ops.OfType<DeleteOp>().Count());
        var read = Assert.IsType<GetChildren>(request.Commands[1]);
        Assert.Equal(("/p/party", true), (read.Path, read.Watch));
        Assert.Equal(2, request.Commands.Length);
    }

    [Fact]
    public void Release_WhenThePartyReadIsAnsweredBeforeTheDeletes_StaysReleaseUntilTheyAreDone()
    {
        var (cluster, member) = AcquiredAndPaused("a", "b");
        cluster.Deliver(member, new ReleaseRequested());
        var inbox = cluster.Zk.Inbox(member.Session);
        var deletes = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        var party = Assert.IsType<ChildrenCompleted>(inbox.Dequeue());

        cluster.Deliver(member, party);

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Single(member.Timers);
        cluster.Deliver(member, deletes);
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
    }

    [Fact]
    public void Release_WhenTheTimeBoundaryEndsBeforeTheDeletesAreDone_AllocatesOnlyAfterThem()
    {
        var (cluster, member) = AcquiredAndPaused("a", "b");
        cluster.Deliver(member, new ReleaseRequested());
        var inbox = cluster.Zk.Inbox(member.Session);
        var deletes = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        cluster.Deliver(member, inbox.Dequeue());
        int beforeTimer = member.Commands.Count;

        cluster.FireTimers(member);

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Empty(member.SentSince(beforeTimer));
        var done = cluster.Deliver(member, deletes);
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Contains(done.Commands, c => c is Multi m && m.Ops.All(op => op is CreateOp { Kind: NodeKind.EphemeralSequential }));
        member.Paused = false;
        cluster.Settle();
        Assert.Equal(["a", "b"], member.Acquired);
    }

    [Fact]
    public void Release_WhenThePartyChangesBeforeTheDeletesAreDone_ReadsAgainAndStillWaitsForThem()
    {
        var (cluster, member) = AcquiredAndPaused("a", "b");
        cluster.Deliver(member, new ReleaseRequested());
        var inbox = cluster.Zk.Inbox(member.Session);
        var deletes = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        var party = Assert.IsType<ChildrenCompleted>(inbox.Dequeue());
        cluster.Deliver(member, party);
        int before = member.Commands.Count;

        cluster.Deliver(member, new WatchFired(party.OpId, "/p/party", WatchEventKind.NodeChildrenChanged));
        cluster.Deliver(member, inbox.Dequeue());
        cluster.FireTimers(member);

        Assert.Single(member.SentSince(before), c => c is GetChildren { Path: "/p/party" });
        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        cluster.Deliver(member, deletes);
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        member.Paused = false;
        cluster.Settle();
        Assert.Equal(["a", "b"], member.Acquired);
    }

    [Fact]
    public void Release_WhenSuspendedBeforeTheDeletesAreDone_IgnoresTheEarlierPartyReadAndWaitsAgainAfterThem()
    {
        var (cluster, member) = AcquiredAndPaused("a", "b");
        cluster.Deliver(member, new ReleaseRequested());
        var inbox = cluster.Zk.Inbox(member.Session);
        var deletes = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        var party = Assert.IsType<ChildrenCompleted>(inbox.Dequeue());

        cluster.Deliver(member, new SessionSuspended());
        cluster.Deliver(member, party);
        Assert.Empty(member.Timers);
        int before = member.Commands.Count;
        cluster.Deliver(member, new SessionReconnected());
        cluster.Deliver(member, deletes);

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Single(member.SentSince(before), c => c is GetChildren { Path: "/p/party" });
        member.Paused = false;
        cluster.RunUntilQuiet();
        Assert.Equal(["a", "b"], member.Acquired);
    }
}
