using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>kazoo's state transitions, and what happens to the locks in each.</summary>
public sealed class TransitionTests
{
    private static (Cluster Cluster, TestMember Member) Acquired(params string[] items)
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", items));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        return (cluster, member);
    }

    /// <summary>Starts a member whose only item is held by another session, so it waits in the queue.</summary>
    private static (Cluster Cluster, TestMember Member) Queued()
    {
        var cluster = new Cluster();
        cluster.Zk.CreateAs(98, "/p", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        var member = cluster.Join(Configs.For("0", ["a", "b"]));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
        return (cluster, member);
    }

    [Fact]
    public void Acquired_WhenThePartyChanges_MovesToReleaseAndKeepsTheLocks()
    {
        var (cluster, member) = Acquired("a", "b");

        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        cluster.Settle();

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(2, member.State.StateId);
        Assert.Empty(member.Acquired);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void Release_WhenRequested_DeletesTheLocksThenAllocatesAgain()
    {
        var (cluster, member) = Acquired("a", "b");
        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        cluster.Settle();

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Equal(3, member.State.StateId);
        Assert.Empty(cluster.LockNodesOf(member));
        Assert.Single(member.Timers);
    }

    [Fact]
    public void Release_WhileDeletesAreInFlight_StaysReleaseUntilAllAreDone()
    {
        var (cluster, member) = Acquired("a", "b");
        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        cluster.Settle();
        member.Paused = true;

        var request = cluster.Deliver(member, new ReleaseRequested());

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(2, Assert.IsType<Multi>(Assert.Single(request.Commands, c => c is Multi)).Ops.Length);
        member.Paused = false;
        cluster.Settle();
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
    }

    [Fact]
    public void Acquired_WhenReleaseIsRequested_StopsOwningAtOnceThenAllocates()
    {
        var (cluster, member) = Acquired("a");
        member.Paused = true;

        cluster.Deliver(member, new ReleaseRequested());

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(2, member.State.StateId);
        Assert.Empty(member.Acquired);
        member.Paused = false;
        cluster.Settle();
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Equal(3, member.State.StateId);
    }

    [Fact]
    public void Release_WhenRequestedTwice_TheSecondChangesNothing()
    {
        var (cluster, member) = Acquired("a");
        member.Paused = true;
        cluster.Deliver(member, new ReleaseRequested());
        var before = member.State;

        var again = cluster.Deliver(member, new ReleaseRequested());

        Assert.Equal(before, again.State);
        Assert.Empty(again.Commands);
    }

    [Fact]
    public void Acquired_WhenSuspended_MovesToReleaseKeepingTheLocks()
    {
        var (cluster, member) = Acquired("a", "b");
        cluster.Zk.Disconnect(member.Session);

        var suspended = cluster.Deliver(member, new SessionSuspended());

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(2, member.State.StateId);
        Assert.Empty(suspended.Commands);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void Release_WhenSuspendedOrReconnectedAgain_ChangesNothingVisible()
    {
        var (cluster, member) = Acquired("a");
        cluster.Deliver(member, new SessionSuspended());
        long stateId = member.State.StateId;

        var again = cluster.Deliver(member, new SessionSuspended());
        cluster.Deliver(member, new SessionReconnected());

        Assert.Empty(again.Commands);
        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(stateId, member.State.StateId);
    }

    [Fact]
    public void Allocating_WhenReconnected_MovesToReleaseAndDeletesThePartialLocks()
    {
        var (cluster, member) = Queued();

        cluster.Deliver(member, new SessionReconnected());
        cluster.Settle();

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(1, member.State.StateId);
        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Fact]
    public void Allocating_WhenSuspended_DeletesThePartialLocksOnceReconnected()
    {
        var (cluster, member) = Queued();
        cluster.Zk.Disconnect(member.Session);

        cluster.Deliver(member, new SessionSuspended());
        cluster.Settle();
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
        cluster.Zk.Reconnect(member.Session);
        cluster.Deliver(member, new SessionReconnected());
        cluster.Settle();

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Fact]
    public void Release_WhenADeleteLosesTheConnection_RetriesOnReconnectAndOnlyThenAllocates()
    {
        var (cluster, member) = Acquired("a", "b");
        cluster.Zk.Disconnect(member.Session);
        cluster.Deliver(member, new SessionSuspended());

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
        cluster.Zk.Reconnect(member.Session);
        cluster.Deliver(member, new SessionReconnected());
        cluster.Settle();

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnyState_WhenTheSessionExpires_FailsWithTheReasonAndDeletesNothing(bool acquired)
    {
        var (cluster, member) = acquired ? Acquired("a") : Queued();

        var expired = cluster.Deliver(member, new SessionExpired());

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Equal("session expired", member.State.FailureReason);
        Assert.Empty(member.Acquired);
        Assert.All(expired.Commands, c => Assert.IsType<CancelTimer>(c));
    }

    [Fact]
    public void Finish_WhenAcquired_DeletesLocksAndPartyNodeAndFailsWithFinished()
    {
        var (cluster, member) = Acquired("a", "b");

        cluster.Deliver(member, new FinishRequested());

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Equal("finished", member.State.FailureReason);
        Assert.Equal(2, member.State.StateId);
        Assert.Empty(cluster.LockNodesOf(member));
        Assert.Empty(cluster.Zk.ChildrenOf("/p/party"));
    }

    [Fact]
    public void Failure_GivenAnyLaterEvent_StaysFailedAndSendsNothingButItsLockCleanup()
    {
        var (cluster, member) = Acquired("a");
        member.Paused = true;
        cluster.Deliver(member, new FinishRequested());
        var failed = member.State;
        var late = cluster.Zk.Inbox(member.Session).ToList();
        Event[] others = [new ReleaseRequested(), new FinishRequested(), new SessionSuspended(), new SessionReconnected(), new SessionExpired(), new TimerFired(1)];

        foreach (var @event in late.Concat(others))
        {
            var decision = Decider.Decide(failed, @event);
            Assert.Equal(PartitionState.Failure, decision.State.PartitionState);
            Assert.Equal(failed.StateId, decision.State.StateId);
            Assert.Equal("finished", decision.State.FailureReason);
            Assert.Empty(decision.State.AcquiredItems);
            // The finish's deletes all applied, so nothing is left to clean up: no command, whatever comes.
            Assert.Empty(decision.Commands);
        }
    }

    [Fact]
    public void StateId_OverACycle_GrowsByOnePerChange()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"]));
        var seen = new List<(PartitionState, long)> { (member.State.PartitionState, member.State.StateId) };

        cluster.RunUntilQuiet();
        seen.Add((member.State.PartitionState, member.State.StateId));
        cluster.Join(Configs.For("1", ["a"]));
        cluster.Settle();
        seen.Add((member.State.PartitionState, member.State.StateId));
        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        seen.Add((member.State.PartitionState, member.State.StateId));
        cluster.Deliver(member, new FinishRequested());
        seen.Add((member.State.PartitionState, member.State.StateId));

        Assert.Equal(
            [(PartitionState.Allocating, 0L), (PartitionState.Acquired, 1L), (PartitionState.Release, 2L), (PartitionState.Allocating, 3L), (PartitionState.Failure, 4L)],
            seen);
    }
}
