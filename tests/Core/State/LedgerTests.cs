using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.State;

/// <summary>No lock node is leaked: deletes that miss, creates lost with the connection, stale results.</summary>
public sealed class LedgerTests
{
    private static (Cluster Cluster, TestMember Member) Acquired(params string[] items)
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", items));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        return (cluster, member);
    }

    [Fact]
    public void Release_WhenOneLockNodeIsAlreadyGone_DeletesTheOthersOneByOne()
    {
        var (cluster, member) = Acquired("a", "b", "c");
        cluster.Zk.DeleteAs(99, "/p/locks/b/" + cluster.LockNodesOf(member)[1].Split('/')[1]);
        int before = member.Commands.Count;

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();

        Assert.Equal(3, member.SentSince(before).OfType<DeleteNode>().Count());
        Assert.Empty(cluster.LockNodesOf(member));
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
    }

    [Fact]
    public void Release_WhenADeleteIsRefused_FailsNamingThePathAndCode()
    {
        var (cluster, member) = Acquired("a");
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.All(op => op is DeleteOp), ZooKeeperError.NoAuth);

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Contains("delete /p/locks/a/", member.State.FailureReason, StringComparison.Ordinal);
        Assert.Contains("NoAuth", member.State.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void LostCreate_WhenTheSessionIsSuspendedMeanwhile_IsFoundAndDeletedAfterReconnecting()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a", "b"]));
        cluster.Settle();
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/locks/b", NodeKind.Persistent);
        cluster.Zk.FailNext(c => ScriptedZooKeeper.IsLockCreate(c), ZooKeeperError.ConnectionLoss, applied: true);
        cluster.Zk.FailNext(cluster.Zk.IsLockRead, ZooKeeperError.ConnectionLoss);
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        while (inbox.Count > 0)
        {
            cluster.Deliver(member, inbox.Dequeue());
        }

        Assert.Equal(2, cluster.LockNodesOf(member).Length);

        cluster.Deliver(member, new SessionSuspended());
        cluster.Deliver(member, new SessionReconnected());
        member.Paused = false;
        cluster.Settle();

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Empty(cluster.LockNodesOf(member));
        Assert.Contains(member.Commands, c => c is MultiGetChildren r && r.Paths.SequenceEqual(["/p/locks/a", "/p/locks/b"]));
    }

    [Fact]
    public void ReleaseRequested_WithALostCreateOutstanding_AllocatesOnlyAfterTheSweepSettlesIt()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.Settle();
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.FailNext(c => ScriptedZooKeeper.IsLockCreate(c), ZooKeeperError.ConnectionLoss, applied: true);
        cluster.Zk.FailNext(cluster.Zk.IsLockRead, ZooKeeperError.ConnectionLoss);
        member.Paused = true;
        cluster.FireTimers(member);
        cluster.Deliver(member, cluster.Zk.Inbox(member.Session).Dequeue());
        cluster.Deliver(member, cluster.Zk.Inbox(member.Session).Dequeue());
        cluster.Zk.Disconnect(member.Session);
        cluster.Deliver(member, cluster.Zk.Inbox(member.Session).Dequeue());
        cluster.Deliver(member, cluster.Zk.Inbox(member.Session).Dequeue());
        cluster.Deliver(member, new SessionSuspended());
        member.Paused = false;
        Assert.Single(cluster.LockNodesOf(member));

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        Assert.Equal(PartitionState.Release, member.State.PartitionState);

        cluster.Zk.Reconnect(member.Session);
        cluster.Deliver(member, new SessionReconnected());
        cluster.Settle();

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Theory]
    [InlineData(12345L)]
    [InlineData(-1L)]
    public void AnyResult_WithAnOpIdCoreNeverSentOrNoLongerExpects_ChangesNothing(long opId)
    {
        var (cluster, member) = Acquired("a");
        var before = member.State;
        Event[] strays =
        [
            new CreateCompleted(opId, ZooKeeperError.Ok, "/p/locks/a/x__lock__0000000009"),
            new DeleteCompleted(opId, ZooKeeperError.Ok),
            new ChildrenCompleted(opId, ZooKeeperError.Ok, []),
            new ExistsCompleted(opId, ZooKeeperError.NoNode),
            new MultiCompleted(opId, ZooKeeperError.Ok, []),
            new MultiReadCompleted(opId, ZooKeeperError.Ok, []),
            new WatchFired(opId, "/p/party", WatchEventKind.NodeChildrenChanged),
            new TimerFired(opId),
        ];

        foreach (var stray in strays)
        {
            var decision = Decider.Decide(before, stray);
            Assert.Equal(before, decision.State);
            Assert.Empty(decision.Commands);
        }

        Assert.Same(before, member.State);
        Assert.NotNull(cluster);
    }

    [Fact]
    public void StaleWatch_FromAnEarlierStabilityRead_ChangesNothingWhileAcquired()
    {
        var (cluster, member) = Acquired("a");
        var oldRead = member.Commands.OfType<GetChildren>().First(c => c.Path == "/p/party");
        cluster.Deliver(member, new ReleaseRequested());
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        var before = member.State;

        var stale = Decider.Decide(before, new WatchFired(oldRead.OpId, "/p/party", WatchEventKind.NodeChildrenChanged));

        Assert.Equal(before, stale.State);
        Assert.Empty(stale.Commands);
    }
}
