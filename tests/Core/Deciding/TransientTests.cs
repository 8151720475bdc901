using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>
/// ThrottledOp, OperationTimeout and SessionMoved say "not now", as ConnectionLoss does: the work is sent again
/// after a back-off, never taken as fatal, and a lock create that may have applied leaves no node behind.
/// </summary>
public sealed class TransientTests
{
    public static TheoryData<ZooKeeperError, bool> Codes => new()
    {
        // ThrottledOp and SessionMoved: the server did not run the request. OperationTimeout: the outcome is unknown,
        // so the worst case (it applied) is the one tested.
        { ZooKeeperError.ThrottledOp, false },
        { ZooKeeperError.SessionMoved, false },
        { ZooKeeperError.OperationTimeout, true },
        { ZooKeeperError.ConnectionLoss, true },
    };

    public static TheoryData<string, ZooKeeperError> RequestsAndCodes()
    {
        var data = new TheoryData<string, ZooKeeperError>();
        foreach (string request in Requests.Keys)
        {
            foreach (var code in new[] { ZooKeeperError.ThrottledOp, ZooKeeperError.SessionMoved, ZooKeeperError.OperationTimeout })
            {
                data.Add(request, code);
            }
        }

        return data;
    }

    private static readonly Dictionary<string, Func<Command, bool>> Requests = new()
    {
        ["party node create"] = c => c is CreateNode { Kind: NodeKind.Ephemeral },
        ["setup create"] = c => c is CreateNode { Kind: NodeKind.Persistent },
        ["party read"] = c => c is GetChildren,
        ["folder-and-lock multi"] = c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }),
        ["stat multiRead"] = c => c is MultiGetStat,
    };

    [Theory]
    [MemberData(nameof(RequestsAndCodes))]
    public void TransientCode_OnAnyRequestOfTheStart_IsRetriedAndTheMemberAcquires(string request, ZooKeeperError code)
    {
        var cluster = new Cluster();
        cluster.Zk.FailNext(Requests[request], code);
        var member = cluster.Join(Configs.For("0", ["a", "b"]));

        cluster.RunUntilQuiet();

        Assert.Null(member.State.FailureReason);
        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void TransientCode_OnALockCreate_IsRetriedAndLeavesExactlyOneNodePerItem(ZooKeeperError code, bool applied)
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a", "b"]));
        cluster.Settle();
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/locks/b", NodeKind.Persistent);
        cluster.Zk.FailNext(ScriptedZooKeeper.IsLockCreate, code, applied);

        cluster.RunUntilQuiet();

        Assert.Null(member.State.FailureReason);
        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void TransientCode_OnALockRead_IsRetried(ZooKeeperError code, bool applied)
    {
        _ = applied;
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.Settle();
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.FailNext(cluster.Zk.IsLockRead, code);

        cluster.RunUntilQuiet();

        Assert.Null(member.State.FailureReason);
        Assert.Equal(["a"], member.Acquired);
        Assert.Single(cluster.LockNodesOf(member));
    }

    [Theory]
    [MemberData(nameof(Codes))]
    public void TransientCode_OnADeleteOfARelease_IsSentAgainAndTheNodeGoes(ZooKeeperError code, bool applied)
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        var node = cluster.LockNodesOf(member).Single();
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.All(op => op is DeleteOp), code, applied);

        cluster.Deliver(member, new ReleaseRequested());
        cluster.RunUntilQuiet();

        Assert.Null(member.State.FailureReason);
        Assert.DoesNotContain(node, cluster.LockNodesOf(member));
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
    }

    [Fact]
    public void LostDeleteOfAnAbortedRound_TheNextRoundDoesNotAdoptTheNode_SoTheResentDeleteTakesNoHeldLock()
    {
        // Given a member whose round has created its lock node on "a"
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.Settle();
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        while (cluster.LockNodesOf(member).Length == 0 || member.Delivered.LastOrDefault() is not MultiCompleted { Error: ZooKeeperError.Ok })
        {
            cluster.Deliver(member, inbox.Dequeue());
        }

        // When the party changes, the abort's delete of that node is throttled (not carried out), and the next
        // round's create is throttled too, so its folder read finds the node the member means to delete
        var node = cluster.LockNodesOf(member).Single();
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.All(op => op is DeleteOp), ZooKeeperError.ThrottledOp);
        cluster.Zk.FailNext(ScriptedZooKeeper.IsLockCreate, ZooKeeperError.ThrottledOp);
        var partyWatch = member.Commands.OfType<GetChildren>().Last(c => c.Watch);
        cluster.Deliver(member, new WatchFired(partyWatch.OpId, partyWatch.Path, WatchEventKind.NodeChildrenChanged));
        member.Paused = false;
        cluster.Settle();

        // And the next round's stability wait ends before the retry timer of the lost delete fires
        Assert.Equal(2, member.Timers.Count);
        long stability = member.Timers.Max;
        member.Timers.Remove(stability);
        cluster.Deliver(member, new TimerFired(stability));
        cluster.RunUntilQuiet();

        // Then the member holds a lock node for the item it owns: the lost delete took only the node it gave up
        Assert.Null(member.State.FailureReason);
        Assert.Equal(["a"], member.Acquired);
        Assert.DoesNotContain(node, cluster.LockNodesOf(member));
        Assert.Single(cluster.LockNodesOf(member));
    }

    [Fact]
    public void ConnectionLoss_InsideAStatMultiRead_RetriesTheRoundInsteadOfFailing()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a", "b"]));
        cluster.Settle();
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        while (!member.Commands.Any(c => c is MultiGetStat))
        {
            cluster.Deliver(member, inbox.Dequeue());
        }

        var stats = Assert.IsType<StatsCompleted>(inbox.Dequeue());
        cluster.Deliver(member, stats with { Results = [stats.Results[0], stats.Results[1] with { Error = ZooKeeperError.ConnectionLoss }] });
        member.Paused = false;
        cluster.RunUntilQuiet();

        Assert.Null(member.State.FailureReason);
        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void ThrottledOp_AgainAndAgain_BacksOffDoublingTheRetryDelayUpToEightTimesTheReactionTime()
    {
        var cluster = new Cluster();
        for (int i = 0; i < 6; i++)
        {
            cluster.Zk.FailNext(c => c is GetChildren, ZooKeeperError.ThrottledOp);
        }

        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.RunUntilQuiet();

        // The reaction time is 500 ms here; the stability wait (1 s) is the timer started after the read succeeds.
        var delays = member.Commands.OfType<StartTimer>().Select(t => t.Due.TotalMilliseconds).ToArray();
        Assert.Equal([500, 1000, 2000, 4000, 4000, 4000, 1000], delays);
        Assert.Equal(["a"], member.Acquired);
    }
}
