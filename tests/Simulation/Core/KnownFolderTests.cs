using Partitioner.Core;
using Partitioner.Tests.Core.Support;

namespace Partitioner.Tests.Core;

/// <summary>A round skips the read of P/locks when every folder of its share is known, and recovers when one was deleted by hand.</summary>
public sealed class KnownFolderTests
{
    /// <summary>One member that acquired its items, released them and now waits for its next round.</summary>
    private static (Cluster Cluster, TestMember Member) ReleasedAfterAcquiring(params string[] items)
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", items));
        cluster.RunUntilQuiet();
        Assert.Equal(items, member.Acquired);
        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        Assert.Equal(PartitionState.Allocating, member.State.State);
        return (cluster, member);
    }

    [Fact]
    public void Round_AfterAcquiringAndReleasingTheSameShare_DoesNotReadOrCreateFolders()
    {
        var (cluster, member) = ReleasedAfterAcquiring("a", "b");
        int before = member.Commands.Count;

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.DoesNotContain(member.SentSince(before), c => c is GetChildren { Path: "/p/locks" });
        Assert.DoesNotContain(member.SentSince(before), c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }));
    }

    [Fact]
    public void Round_WhenTheMemberWasAcquiredBefore_PresumesTheFoldersOfANewShareExist()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a", "b"]));
        var peer = cluster.Join(Configs.For("1", ["a", "b"]));
        cluster.RunUntilQuiet();
        Assert.Equal(["a"], member.Acquired);
        cluster.Deliver(peer, new FinishRequested());
        cluster.Settle();
        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.DoesNotContain(member.SentSince(before), c => c is GetChildren { Path: "/p/locks" });
    }

    [Fact]
    public void Round_WhenAPresumedFolderIsMissing_ListsAndCreatesItThenAcquires()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a", "b"]));
        var peer = cluster.Join(Configs.For("1", ["a", "b"]));
        cluster.RunUntilQuiet();
        cluster.Deliver(peer, new FinishRequested());
        cluster.Settle();
        cluster.Zk.DeleteAs(99, "/p/locks/b");
        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Single(member.SentSince(before), c => c is GetChildren { Path: "/p/locks" });
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void Round_WhenNeverAcquiredButTheFolderWasListedBefore_DoesNotReadTheLocksFolder()
    {
        var cluster = new Cluster();
        cluster.Zk.CreateAs(98, "/p", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.RunUntilQuiet();
        Assert.Single(member.Commands, c => c is GetChildren { Path: "/p/locks" });
        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.FireTimers(member);

        Assert.Equal(PartitionState.Allocating, member.State.State);
        Assert.Contains(member.SentSince(before), c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.EphemeralSequential }));
        Assert.DoesNotContain(member.SentSince(before), c => c is GetChildren { Path: "/p/locks" });
    }

    [Fact]
    public void Round_WhenAKnownFolderWasDeletedByHand_ListsAndCreatesTheFoldersAgain()
    {
        var (cluster, member) = ReleasedAfterAcquiring("a", "b");
        cluster.Zk.DeleteAs(99, "/p/locks/a");
        int before = member.Commands.Count;

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(PartitionState.Acquired, member.State.State);
        var sent = member.SentSince(before);
        Assert.Single(sent, c => c is GetChildren { Path: "/p/locks" });
        Assert.Contains(sent, c => c is Multi m && m.Ops.Any(op => op is CreateOp { Path: "/p/locks/a", Kind: NodeKind.Persistent }));
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void Round_WhenAFolderReadFindsNoNode_ListsTheFoldersAgainInsteadOfFailing()
    {
        var (cluster, member) = ReleasedAfterAcquiring("a");
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        cluster.Deliver(member, Assert.IsType<MultiCompleted>(inbox.Dequeue()));
        var read = Assert.IsType<MultiReadCompleted>(inbox.Dequeue());

        var decision = cluster.Deliver(member, read with { Results = [new ChildrenResult(ZooKeeperError.NoNode, [])] });

        Assert.Equal(PartitionState.Allocating, member.State.State);
        Assert.Equal("/p/locks", Assert.IsType<GetChildren>(Assert.Single(decision.Commands)).Path);
        member.Paused = false;
        cluster.RunUntilQuiet();
        Assert.Equal(["a"], member.Acquired);
    }
}
