using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>A round: folders, batched lock creates and reads, predecessor watches, aborts and lost creates.</summary>
public sealed class AllocationTests
{
    private static readonly string Prefix0 = Configs.PrefixFor("0");

    /// <summary>Starts one member and stops just before its stability timer fires.</summary>
    private static (Cluster Cluster, TestMember Member) Waiting(PartitionerConfig config)
    {
        var cluster = new Cluster();
        var member = cluster.Join(config);
        cluster.Settle();
        return (cluster, member);
    }

    [Fact]
    public void Allocation_WhenFoldersAreMissing_CreatesEachWithItsLockNodeInMultisOfAtMostBatchSizeOps()
    {
        var (cluster, member) = Waiting(Configs.For("0", 5, batchSize: 4));
        int before = member.Commands.Count;

        cluster.FireTimers(member);

        var folderBatches = member.SentSince(before).OfType<Multi>()
            .Where(m => m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent })).ToList();
        Assert.Equal([4, 4, 2], folderBatches.Select(m => m.Ops.Length));
        Assert.Equal(
            ["/p/locks/0", "/p/locks/0/" + Prefix0 + "__lock__", "/p/locks/1", "/p/locks/1/" + Prefix0 + "__lock__"],
            folderBatches[0].Ops.Select(op => op.Path));
        Assert.Equal(
            [NodeKind.Persistent, NodeKind.EphemeralSequential, NodeKind.Persistent, NodeKind.EphemeralSequential],
            folderBatches[0].Ops.Select(op => ((CreateOp)op).Kind));
        Assert.Equal(["0", "1", "2", "3", "4"], member.Acquired);
    }

    [Fact]
    public void Allocation_WhenAllFoldersAreMissing_TakesAThousandItemsInTwelveRequestsWithoutListingTheLocksFolder()
    {
        var (cluster, member) = Waiting(Configs.For("0", 1000));
        int before = member.Commands.Count;

        cluster.FireTimers(member);

        // 8 multis of 125 folders each with its lock node, and no read of P/locks: the nodes are first, so held
        // once 4 multiReads of 250 stats each have given their creation zxids (the fencing tokens).
        var sent = member.SentSince(before);
        Assert.Equal(12, sent.Length);
        Assert.DoesNotContain(sent, c => c is GetChildren);
        Assert.Equal(8, sent.OfType<Multi>().Count());
        Assert.Equal([250, 250, 250, 250], sent.OfType<MultiGetStat>().Select(r => r.Paths.Length));
        Assert.Empty(sent.OfType<MultiGetChildren>());
        Assert.Equal(1000, member.Acquired.Length);
        Assert.Equal(1000, cluster.LockNodesOf(member).Length);
        Assert.Equal(1, member.State.StateId);
    }

    [Fact]
    public void Allocation_WhenThePartyChangesBeforeTheFolderAndLockMultiIsAnswered_DeletesTheNodesItCreated()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));
        long partyWatch = member.Commands.OfType<GetChildren>().Last(c => c.Path == "/p/party").OpId;
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        var created = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        Assert.Equal(2, cluster.LockNodesOf(member).Length);

        cluster.Deliver(member, new WatchFired(partyWatch, "/p/party", WatchEventKind.NodeChildrenChanged));
        cluster.Deliver(member, created);
        while (inbox.Count > 0)
        {
            cluster.Deliver(member, inbox.Dequeue());
        }

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Fact]
    public void Allocation_WhenFoldersExist_SendsLockCreatesAndReadsInOneDecision()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b", "c"], batchSize: 2));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/locks/b", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/locks/c", NodeKind.Persistent);
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);

        // The folder creates meet NodeExists and the folders are read; the last read's answer sends the whole step 3.
        var pipelined = cluster.Deliver(member, inbox.Dequeue()).Commands;
        while (!pipelined.Any(ScriptedZooKeeper.IsLockCreate))
        {
            pipelined = cluster.Deliver(member, inbox.Dequeue()).Commands;
        }

        Assert.Equal([typeof(Multi), typeof(Multi), typeof(MultiGetChildren), typeof(MultiGetChildren)], pipelined.Select(c => c.GetType()));
        Assert.Equal(["/p/locks/a", "/p/locks/b", "/p/locks/c"], pipelined.OfType<MultiGetChildren>().SelectMany(r => r.Paths));
    }

    [Fact]
    public void Allocation_WhenAPeerCreatedAFolderMeanwhile_ReadsThatBatchsFoldersAndCreatesTheMissingOnes()
    {
        var fresh = new Cluster();
        var other = fresh.Join(Configs.For("0", 3));
        fresh.Settle();
        fresh.Zk.CreateAs(99, "/p/locks/1", NodeKind.Persistent);
        int before = other.Commands.Count;

        fresh.FireTimers(other);

        var sent = other.SentSince(before);
        Assert.Equal(["/p/locks/0", "/p/locks/1", "/p/locks/2"], sent.OfType<MultiGetChildren>().First().Paths.ToArray());
        var folderCreates = sent.OfType<Multi>()
            .Select(m => string.Join(" ", m.Ops.Where(op => op is CreateOp { Kind: NodeKind.Persistent }).Select(op => op.Path)))
            .Where(paths => paths.Length > 0);
        Assert.Equal(["/p/locks/0 /p/locks/1 /p/locks/2", "/p/locks/0 /p/locks/2"], folderCreates);
        Assert.DoesNotContain(sent, c => c is GetChildren { Path: "/p/locks" });
        Assert.Equal(["0", "1", "2"], other.Acquired);
    }

    [Fact]
    public void Allocation_WhenTheFolderMultiLosesTheConnection_RestartsTheRoundOnRetry()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }), ZooKeeperError.ConnectionLoss);
        cluster.FireTimers(member);
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        var retry = Assert.Single(member.Timers);
        int before = member.Commands.Count;

        cluster.Deliver(member, new TimerFired(retry));
        member.Timers.Remove(retry);
        cluster.Settle();

        // The outcome of the lost creates is unknown: the folders are created again, without lock nodes, and then read.
        var again = Assert.IsType<Multi>(member.SentSince(before)[0]);
        Assert.Equal(["/p/locks/a", "/p/locks/b"], again.Ops.Select(op => op.Path));
        Assert.All(again.Ops, op => Assert.Equal(NodeKind.Persistent, Assert.IsType<CreateOp>(op).Kind));
        Assert.Equal(["a", "b"], member.Acquired);
    }

    [Fact]
    public void Allocation_WhenTheItemIsQueued_WatchesOnlyTheImmediatePredecessor()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        string first = cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        string second = cluster.Zk.CreateAs(97, "/p/locks/a/" + new string('f', 32) + "__lock__", NodeKind.EphemeralSequential);

        cluster.FireTimers(member);

        var watch = member.Commands.Only<Exists>();
        Assert.Equal(second, watch.Path);
        Assert.True(watch.Watch);
        Assert.NotEqual(first, watch.Path);
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
    }

    [Fact]
    public void Allocation_WhenThePredecessorGoes_TakesTheLockKeepingItsNodeAndPlace()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        string holder = cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        cluster.FireTimers(member);
        var ownNode = cluster.LockNodesOf(member).Single();

        cluster.Zk.DeleteAs(98, holder);
        cluster.Settle();

        Assert.Equal(["a"], member.Acquired);
        Assert.Equal(ownNode, cluster.LockNodesOf(member).Single());
        Assert.Single(member.Commands.OfType<Multi>(), ScriptedZooKeeper.IsLockCreate);
    }

    [Fact]
    public void Allocation_WhenThePredecessorWentBeforeTheWatch_ReadsTheQueueAgain()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        string holder = cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        member.Paused = true;
        cluster.FireTimers(member);
        member.Paused = false;
        cluster.Settle();
        var exists = member.Commands.Only<Exists>();
        cluster.Zk.DeleteAs(98, holder);
        int before = member.Commands.Count;

        var decision = cluster.Deliver(member, new ExistsCompleted(exists.OpId, ZooKeeperError.NoNode));

        Assert.Equal("/p/locks/a", Assert.IsType<GetChildren>(Assert.Single(decision.Commands)).Path);
        cluster.Settle();
        Assert.Equal(["a"], member.Acquired);
        Assert.True(member.Commands.Count > before);
    }

    [Fact]
    public void Allocation_IgnoresChildrenThatAreNotKazooLockContenders()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a/_c_0123-lock-", NodeKind.EphemeralSequential);
        cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__rlock__", NodeKind.EphemeralSequential);
        cluster.Zk.CreateAs(98, "/p/locks/a/note", NodeKind.Ephemeral);

        cluster.FireTimers(member);

        Assert.Equal(["a"], member.Acquired);
    }

    [Fact]
    public void Allocation_WhenThePartyChangesDuringAcquisition_AbortsAtOnceAndWaitsAgain()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        cluster.FireTimers(member);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
        long stateId = member.State.StateId;
        int before = member.Commands.Count;

        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        cluster.Settle();

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Equal(stateId, member.State.StateId);
        Assert.Empty(cluster.LockNodesOf(member));
        var sent = member.SentSince(before);
        Assert.Equal(2, Assert.IsType<Multi>(sent[0]).Ops.OfType<DeleteOp>().Count());
        Assert.Contains(sent, c => c is GetChildren { Path: "/p/party", Watch: true });
    }

    [Fact]
    public void Allocation_WhenALockCreateIsRefusedWithNoAuth_FailsNamingThePathAndCode()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.FailNext(c => ScriptedZooKeeper.IsLockCreate(c), ZooKeeperError.NoAuth);

        cluster.FireTimers(member);

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Contains("/p/locks/a/" + Prefix0 + "__lock__", member.State.FailureReason, StringComparison.Ordinal);
        Assert.Contains("NoAuth", member.State.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void Allocation_WhenALockFolderRead_FailsWithNoAuth_FailsAndDeletesItsNodes()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.FailNext(c => c is MultiGetChildren, ZooKeeperError.NoAuth);

        cluster.FireTimers(member);
        cluster.Settle();

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Contains("NoAuth", member.State.FailureReason, StringComparison.Ordinal);
        Assert.Empty(cluster.LockNodesOf(member));
        Assert.False(cluster.Zk.Exists("/p/party/" + Prefix0 + "-0"));
    }

    [Fact]
    public void Allocation_WhenACreatesOutcomeIsUnknownButItApplied_FindsTheNodeByPrefixAndReusesIt()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/locks/b", NodeKind.Persistent);
        cluster.Zk.FailNext(c => ScriptedZooKeeper.IsLockCreate(c), ZooKeeperError.ConnectionLoss, applied: true);
        cluster.Zk.FailNext(cluster.Zk.IsLockRead, ZooKeeperError.ConnectionLoss);
        cluster.FireTimers(member);
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        var createdBeforeRetry = cluster.LockNodesOf(member);
        Assert.Equal(2, createdBeforeRetry.Length);

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(createdBeforeRetry, cluster.LockNodesOf(member));
        Assert.Single(member.Commands.OfType<Multi>(), ScriptedZooKeeper.IsLockCreate);
    }

    [Fact]
    public void Allocation_WhenACreatesOutcomeIsUnknownAndItDidNotApply_CreatesAgain()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.EphemeralSequential }), ZooKeeperError.ConnectionLoss);
        cluster.Zk.FailNext(c => c is MultiGetChildren, ZooKeeperError.ConnectionLoss);
        cluster.FireTimers(member);
        Assert.Empty(cluster.LockNodesOf(member));

        cluster.RunUntilQuiet();

        Assert.Equal(["a"], member.Acquired);
        Assert.Single(cluster.LockNodesOf(member));
    }

    [Fact]
    public void Allocation_WhenALockCreateSucceedsAfterItsRoundWasAborted_DeletesTheNode()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        cluster.Deliver(member, inbox.Dequeue());
        cluster.Deliver(member, inbox.Dequeue());
        var lockCreated = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        var staleRead = Assert.IsType<MultiReadCompleted>(inbox.Dequeue());
        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        var partyChanged = Assert.IsType<WatchFired>(inbox.Dequeue());

        // The peer joined before the server ran the lock create: the notification comes first.
        cluster.Deliver(member, partyChanged);
        cluster.Deliver(member, lockCreated);
        cluster.Deliver(member, staleRead);
        member.Paused = false;
        cluster.Settle();

        Assert.Empty(cluster.LockNodesOf(member));
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
    }

    [Fact]
    public void Finish_WhileTheFolderAndLockMultiIsInFlight_DeletesTheLockNodesItCreatedWhenTheResultArrives()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        var created = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        Assert.Equal(2, cluster.LockNodesOf(member).Length);

        cluster.Deliver(member, new FinishRequested());
        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        cluster.Deliver(member, created);
        member.Paused = false;
        cluster.Settle();

        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Fact]
    public void Failure_WhileALockCreateIsInFlight_DeletesTheNodeWhenTheResultArrives()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        while (!member.Commands.Any(ScriptedZooKeeper.IsLockCreate))
        {
            cluster.Deliver(member, inbox.Dequeue());
        }

        var lockCreated = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        var read = Assert.IsType<MultiReadCompleted>(inbox.Dequeue());
        Assert.Single(cluster.LockNodesOf(member));

        cluster.Deliver(member, read with { Error = ZooKeeperError.NoAuth, Results = [] });
        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        cluster.Deliver(member, lockCreated);
        member.Paused = false;
        cluster.Settle();

        Assert.Empty(cluster.LockNodesOf(member));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Finish_WhenALockCreateInFlightIsLostButApplied_SweepsItsFolderAndDeletesTheNode(bool suspended)
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.FailNext(ScriptedZooKeeper.IsLockCreate, ZooKeeperError.ConnectionLoss, applied: true);
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        while (!member.Commands.Any(ScriptedZooKeeper.IsLockCreate))
        {
            cluster.Deliver(member, inbox.Dequeue());
        }

        var lost = Assert.IsType<MultiCompleted>(inbox.Dequeue());
        Assert.Equal(ZooKeeperError.ConnectionLoss, lost.Error);
        Assert.Single(cluster.LockNodesOf(member));

        if (suspended)
        {
            cluster.Deliver(member, new SessionSuspended());
        }

        cluster.Deliver(member, new FinishRequested());
        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        cluster.Deliver(member, lost);
        if (suspended)
        {
            cluster.Deliver(member, new SessionReconnected());
        }

        member.Paused = false;
        cluster.RunUntilQuiet();

        Assert.Empty(cluster.LockNodesOf(member));
        Assert.True(member.State.LockNodesSettled);
    }

    [Fact]
    public void Finish_WhileSuspendedWithALostDelete_SendsTheDeleteAgainAfterReconnecting()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        cluster.Zk.Disconnect(member.Session);
        cluster.Deliver(member, new SessionSuspended());

        cluster.Deliver(member, new FinishRequested());
        cluster.Settle();
        Assert.Single(cluster.LockNodesOf(member));
        Assert.False(member.State.LockNodesSettled);

        cluster.Zk.Reconnect(member.Session);
        cluster.Deliver(member, new SessionReconnected());
        cluster.Settle();

        Assert.Empty(cluster.LockNodesOf(member));
        Assert.True(member.State.LockNodesSettled);
    }
}
