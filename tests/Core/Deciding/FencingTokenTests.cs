using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>The fencing token of each owned item: its lock node's creation zxid, however the node was found.</summary>
public sealed class FencingTokenTests
{
    private static (Cluster Cluster, TestMember Member) Waiting(PartitionerConfig config, bool statsInMultiResults = false)
    {
        var cluster = new Cluster();
        cluster.Zk.StatsInMultiResults = statsInMultiResults;
        var member = cluster.Join(config);
        cluster.Settle();
        return (cluster, member);
    }

    /// <summary>What the server says each owned item's lock node was created at.</summary>
    private static long[] CreationZxids(Cluster cluster, TestMember member) =>
        [.. member.State.AcquiredItems.Select(item => cluster.Zk.CreatedZxidOf(
            "/p/locks/" + item + "/" + cluster.LockNodesOf(member).Single(n => n.StartsWith(item + "/", StringComparison.Ordinal))[(item.Length + 1)..]))];

    [Fact]
    public void Token_WhenTheLockIsTakenInFoldersThatExist_IsEachLockNodesCreationZxidReadFromItsStat()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/locks/b", NodeKind.Persistent);

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(["a", "b"], member.State.OwnedItems.Select(o => o.Name));
        Assert.Equal(CreationZxids(cluster, member), member.State.OwnedItems.Select(o => o.FencingToken));
        var stats = Assert.Single(member.Commands.OfType<MultiGetStat>());
        Assert.Equal(cluster.LockNodesOf(member).Select(n => "/p/locks/" + n), stats.Paths);
    }

    [Fact]
    public void Token_WhenTheFolderIsCreatedWithTheLockNode_IsTheLockNodesCreationZxid()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]));

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(CreationZxids(cluster, member), member.State.OwnedItems.Select(o => o.FencingToken));
        Assert.All(member.State.OwnedItems, o => Assert.True(o.FencingToken > 0));
    }

    [Fact]
    public void Token_WhenTheCreateResultCarriesTheZxid_IsTakenFromItWithoutAStatRead()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a", "b"]), statsInMultiResults: true);
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], member.Acquired);
        Assert.Equal(CreationZxids(cluster, member), member.State.OwnedItems.Select(o => o.FencingToken));
        Assert.Empty(member.Commands.OfType<MultiGetStat>());
    }

    [Fact]
    public void Token_WhenTheNodeIsFoundAgainByPrefixAfterAConnectionLoss_IsReadFromTheNodesStat()
    {
        // Even a server that returns zxids with creates gives none for a create whose reply was lost.
        var (cluster, member) = Waiting(Configs.For("0", ["a"]), statsInMultiResults: true);
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        cluster.Zk.FailNext(ScriptedZooKeeper.IsLockCreate, ZooKeeperError.ConnectionLoss, applied: true);
        cluster.Zk.FailNext(cluster.Zk.IsLockRead, ZooKeeperError.ConnectionLoss);
        cluster.FireTimers(member);
        var refound = Assert.Single(cluster.LockNodesOf(member));

        cluster.RunUntilQuiet();

        Assert.Equal(["a"], member.Acquired);
        Assert.Equal(refound, Assert.Single(cluster.LockNodesOf(member)));
        Assert.Equal("/p/locks/" + refound, Assert.Single(Assert.Single(member.Commands.OfType<MultiGetStat>()).Paths));
        Assert.Equal(cluster.Zk.CreatedZxidOf("/p/locks/" + refound), Assert.Single(member.State.OwnedItems).FencingToken);
    }

    [Fact]
    public void Token_WhenTheMemberWaitedForAPredecessor_IsAboveThePredecessorsCreationZxid()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.Zk.CreateAs(99, "/p/locks/a", NodeKind.Persistent);
        string other = cluster.Zk.CreateAs(99, "/p/locks/a/" + Configs.PrefixFor("x") + "__lock__", NodeKind.EphemeralSequential);
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);

        cluster.Zk.DeleteAs(99, other);
        cluster.RunUntilQuiet();

        var owned = Assert.Single(member.State.OwnedItems);
        Assert.Equal("a", owned.Name);
        Assert.True(owned.FencingToken > cluster.Zk.CreatedZxidOf("/p/locks/a") && owned.FencingToken == CreationZxids(cluster, member)[0]);
    }

    [Fact]
    public void Token_WhenTheItemChangesOwnerOrIsTakenAgainAfterARelease_StrictlyIncreases()
    {
        var cluster = new Cluster();
        var p0 = cluster.Join(Configs.For("0", 1));
        var p1 = cluster.Join(Configs.For("1", 1));
        cluster.RunUntilQuiet();
        var (first, waiting) = p0.Acquired.Length == 1 ? (p0, p1) : (p1, p0);
        long firstToken = Assert.Single(first.State.OwnedItems).FencingToken;

        cluster.Deliver(first, new FinishRequested());
        cluster.Settle();
        cluster.Deliver(waiting, new ReleaseRequested());
        cluster.RunUntilQuiet();
        long secondToken = Assert.Single(waiting.State.OwnedItems).FencingToken;

        var p2 = cluster.Join(Configs.For("2", 1));
        cluster.Settle();
        cluster.Deliver(waiting, new ReleaseRequested());
        cluster.RunUntilQuiet();
        var owner = new[] { waiting, p2 }.Single(m => m.Acquired.Length == 1);
        long thirdToken = Assert.Single(owner.State.OwnedItems).FencingToken;

        Assert.True(firstToken < secondToken, $"{firstToken} < {secondToken}");
        Assert.True(secondToken < thirdToken, $"{secondToken} < {thirdToken}");
    }

    [Fact]
    public void Token_WhenNotAcquired_NoItemIsOwned()
    {
        var (cluster, member) = Waiting(Configs.For("0", ["a"]));
        cluster.RunUntilQuiet();
        Assert.Single(member.State.OwnedItems);

        cluster.Deliver(member, new SessionSuspended());

        Assert.Equal(PartitionState.Release, member.State.PartitionState);
        Assert.Empty(member.State.OwnedItems);
        Assert.Empty(member.State.AcquiredItems);
    }
}
