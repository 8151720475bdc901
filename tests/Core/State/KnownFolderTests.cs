using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.State;

/// <summary>A round skips the folder creates when every folder of its share is known, never lists P/locks, and recovers when a folder was deleted by hand.</summary>
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
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
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
        Assert.DoesNotContain(member.SentSince(before), c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }));
    }

    [Fact]
    public void Round_WhenAPresumedFolderIsMissing_CreatesItThenAcquires()
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
        Assert.DoesNotContain(member.SentSince(before), c => c is GetChildren { Path: "/p/locks" });
        var folderCreate = Assert.Single(member.SentSince(before).OfType<Multi>(), m => m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }));
        Assert.Equal("/p/locks/b", folderCreate.Ops[0].Path);
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void Round_WhenNeverAcquiredButTheFolderWasFoundBefore_DoesNotCreateItAgain()
    {
        var cluster = new Cluster();
        cluster.Zk.CreateAs(98, "/p", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(98, "/p/locks/a/" + new string('e', 32) + "__lock__", NodeKind.EphemeralSequential);
        var member = cluster.Join(Configs.For("0", ["a"]));
        cluster.RunUntilQuiet();
        Assert.Contains(member.Commands, c => c is MultiGetChildren r && r.Paths.SequenceEqual(["/p/locks/a"]));
        cluster.Zk.CreateAs(97, "/p/party/" + new string('f', 32) + "-1", NodeKind.Ephemeral);
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.FireTimers(member);

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        Assert.Contains(member.SentSince(before), ScriptedZooKeeper.IsLockCreate);
        Assert.DoesNotContain(member.SentSince(before), c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }));
    }

    [Fact]
    public void Round_WhenAKnownFolderWasDeletedByHand_CreatesThatFolderAgain()
    {
        var (cluster, member) = ReleasedAfterAcquiring("a", "b");
        cluster.Zk.DeleteAs(99, "/p/locks/a");
        int before = member.Commands.Count;

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        var sent = member.SentSince(before);
        Assert.DoesNotContain(sent, c => c is GetChildren { Path: "/p/locks" });
        Assert.Contains(sent, c => c is Multi m && m.Ops.Any(op => op is CreateOp { Path: "/p/locks/a", Kind: NodeKind.Persistent }));
        Assert.DoesNotContain(sent, c => c is Multi m && m.Ops.Any(op => op is CreateOp { Path: "/p/locks/b", Kind: NodeKind.Persistent }));
        Assert.Equal(2, cluster.LockNodesOf(member).Length);
    }

    [Fact]
    public void Round_WhenAFolderReadFindsNoNode_CreatesTheFolderAgainInsteadOfFailing()
    {
        var (cluster, member) = ReleasedAfterAcquiring("a");
        member.Paused = true;
        cluster.FireTimers(member);
        var inbox = cluster.Zk.Inbox(member.Session);
        cluster.Deliver(member, Assert.IsType<MultiCompleted>(inbox.Dequeue()));
        var read = Assert.IsType<MultiReadCompleted>(inbox.Dequeue());

        var decision = cluster.Deliver(member, read with { Results = [new ChildrenResult(ZooKeeperError.NoNode, [])] });

        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);
        var create = Assert.IsType<Multi>(Assert.Single(decision.Commands));
        var folder = Assert.IsType<CreateOp>(Assert.Single(create.Ops));
        Assert.Equal(("/p/locks/a", NodeKind.Persistent), (folder.Path, folder.Kind));
        member.Paused = false;
        cluster.RunUntilQuiet();
        Assert.Equal(["a"], member.Acquired);
    }

    [Fact]
    public void Round_WhenManyPresumedFoldersAreMissing_FindsThemAllAtOnce_NotOnePerRoundTrip()
    {
        // A peer that never created its folders (cut off before its first round) leaves half the items without
        // one. A failed multi says NoNode for its first missing folder only and RuntimeInconsistency for every op
        // after it: those folders are unknown, not known to exist. Presuming them present again made one round
        // trip per missing folder (2,500 of them for 5,000 items, seconds of allocation, in a simulated run).
        var items = Enumerable.Range(0, 200).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", items));
        var peer = cluster.Join(Configs.For("1", items));
        cluster.RunUntilQuiet();
        var peerShare = peer.Acquired;
        Assert.True(peerShare.Length > 50);
        cluster.Deliver(peer, new FinishRequested());
        cluster.Settle();
        foreach (var item in peerShare)
        {
            cluster.Zk.DeleteAs(99, "/p/locks/" + item);
        }

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.RunUntilQuiet();

        Assert.Equal(items.Order(StringComparer.Ordinal), member.Acquired.Order(StringComparer.Ordinal));
        var lockMultis = member.SentSince(before).OfType<Multi>().Count(m => m.Ops.Any(op => op is CreateOp { Kind: NodeKind.EphemeralSequential }));
        Assert.True(lockMultis <= 6, $"{lockMultis} multis creating lock nodes for {peerShare.Length} missing folders");
    }
}
