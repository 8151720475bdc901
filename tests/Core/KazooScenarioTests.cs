using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core;

/// <summary>kazoo's <c>test_partitioner.py</c> cases, ported against the scripted ZooKeeper.</summary>
public sealed class KazooScenarioTests
{
    [Fact]
    public void PartyOfOne_WhenStable_AcquiresEveryItem()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("solo", 3));

        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        Assert.Equal(["0", "1", "2"], member.Acquired);
    }

    [Fact]
    public void PartyOfTwo_WhenOneFinishes_TheOtherIsAskedToRelease()
    {
        var cluster = new Cluster();
        var p0 = cluster.Join(Configs.For("0", 2));
        var p1 = cluster.Join(Configs.For("1", 2));
        cluster.RunUntilQuiet();
        Assert.Equal(["0"], p0.Acquired);
        Assert.Equal(["1"], p1.Acquired);

        cluster.Deliver(p0, new FinishRequested());
        cluster.Settle();

        Assert.Equal(PartitionState.Failure, p0.State.PartitionState);
        Assert.Equal(PartitionState.Release, p1.State.PartitionState);
    }

    [Fact]
    public void PartyExpansion_WhenAThirdJoins_FirstTwoReleaseThenAllThreeShare()
    {
        var cluster = new Cluster();
        var p0 = cluster.Join(Configs.For("0", 3));
        var p1 = cluster.Join(Configs.For("1", 3));
        cluster.RunUntilQuiet();
        Assert.Equal(["0", "2"], p0.Acquired);
        Assert.Equal(["1"], p1.Acquired);

        var p2 = cluster.Join(Configs.For("2", 3));
        cluster.Settle();
        Assert.Equal(PartitionState.Release, p0.State.PartitionState);
        Assert.Equal(PartitionState.Release, p1.State.PartitionState);

        cluster.Deliver(p0, new ReleaseRequested());
        cluster.Deliver(p1, new ReleaseRequested());
        cluster.RunUntilQuiet();

        Assert.Equal(["0"], p0.Acquired);
        Assert.Equal(["1"], p1.Acquired);
        Assert.Equal(["2"], p2.Acquired);
    }

    [Fact]
    public void MoreMembersThanItems_WhenStable_OneOwnsTheItemTheOtherNothing()
    {
        var cluster = new Cluster();
        var p0 = cluster.Join(Configs.For("0", 1));
        var p1 = cluster.Join(Configs.For("1", 1));

        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Acquired, p0.State.PartitionState);
        Assert.Equal(PartitionState.Acquired, p1.State.PartitionState);
        Assert.Equal(["0"], p0.Acquired);
        Assert.Empty(p1.Acquired);
    }

    [Fact]
    public void SessionFailure_WhenExpiredThenReleased_StaysFailed()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", 3));
        cluster.RunUntilQuiet();

        cluster.Deliver(member, new SessionExpired());
        cluster.Deliver(member, new ReleaseRequested());

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Equal("session expired", member.State.FailureReason);
    }

    [Fact]
    public void ConnectionLoss_WhenSuspendedAndReconnected_ReleasesThenReacquiresTheSameShares()
    {
        var cluster = new Cluster();
        var p0 = cluster.Join(Configs.For("0", 3));
        var p1 = cluster.Join(Configs.For("1", 3));
        cluster.RunUntilQuiet();

        foreach (var member in cluster.Members)
        {
            cluster.Zk.Disconnect(member.Session);
            cluster.Deliver(member, new SessionSuspended());
            cluster.Zk.Reconnect(member.Session);
            cluster.Deliver(member, new SessionReconnected());
        }

        cluster.Settle();
        Assert.All(cluster.Members, m => Assert.Equal(PartitionState.Release, m.State.PartitionState));
        cluster.Deliver(p0, new ReleaseRequested());
        cluster.Deliver(p1, new ReleaseRequested());
        cluster.RunUntilQuiet();

        Assert.Equal(["0", "2"], p0.Acquired);
        Assert.Equal(["1"], p1.Acquired);
    }
}
