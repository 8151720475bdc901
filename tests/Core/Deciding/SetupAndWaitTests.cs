using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>The start (ensure paths, join the party) and the stability wait.</summary>
public sealed class SetupAndWaitTests
{
    private static readonly PartitionerConfig Config = PartitionerConfig.Create(
        "/app/work", ["a"], "host-1", "0123456789abcdef0123456789abcdef", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));

    [Fact]
    public void Start_GivenAConfig_CreatesAncestorsRootLocksPartyAndJoinsThenReadsTheParty()
    {
        var start = Decider.Start(Config);

        Assert.Equal(PartitionState.Allocating, start.State.PartitionState);
        Assert.Equal(0, start.State.StateId);
        var creates = start.Commands.OfType<CreateNode>().ToList();
        Assert.Equal(
            ["/app", "/app/work", "/app/work/locks", "/app/work/party", "/app/work/party/0123456789abcdef0123456789abcdef-host-1"],
            creates.Select(c => c.Path));
        Assert.All(creates.Take(4), c => Assert.Equal(NodeKind.Persistent, c.Kind));
        Assert.Equal(NodeKind.Ephemeral, creates[4].Kind);
        Assert.Equal("host-1", Encoding.UTF8.GetString(creates[4].Data.AsSpan()));
        var read = Assert.IsType<GetChildren>(start.Commands[^1]);
        Assert.Equal(("/app/work/party", true), (read.Path, read.Watch));
        Assert.Equal(start.Commands.Length, start.Commands.OfType<ZooKeeperCommand>().Select(c => c.OpId).Distinct().Count());
    }

    [Fact]
    public void SetupCreate_WhenThePartyNodeAlreadyExists_CountsAsJoined()
    {
        var start = Decider.Start(Config);
        var join = start.Commands.Only<CreateNode>(c => c.Kind == NodeKind.Ephemeral);

        var after = Decider.Decide(start.State, new CreateCompleted(join.OpId, ZooKeeperError.NodeExists, null));

        Assert.Equal(PartitionState.Allocating, after.State.PartitionState);
        Assert.Empty(after.Commands);
    }

    [Fact]
    public void SetupCreate_WhenThePartyNodeIsRefusedWithNoAuth_FailsNamingPathAndCode()
    {
        var start = Decider.Start(Config);
        var join = start.Commands.Only<CreateNode>(c => c.Kind == NodeKind.Ephemeral);

        var after = Decider.Decide(start.State, new CreateCompleted(join.OpId, ZooKeeperError.NoAuth, null));

        Assert.Equal(PartitionState.Failure, after.State.PartitionState);
        Assert.Equal(1, after.State.StateId);
        Assert.Contains("/app/work/party/0123456789abcdef0123456789abcdef-host-1", after.State.FailureReason, StringComparison.Ordinal);
        Assert.Contains("NoAuth", after.State.FailureReason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(ZooKeeperError.BadArguments)]
    [InlineData(ZooKeeperError.NoChildrenForEphemerals)]
    [InlineData(ZooKeeperError.InvalidAcl)]
    [InlineData((ZooKeeperError)(-999))]
    public void SetupCreate_WhenTheCodeIsNotExpected_Fails(ZooKeeperError error)
    {
        var start = Decider.Start(Config);
        var root = start.Commands.Only<CreateNode>(c => c.Path == "/app/work");

        var after = Decider.Decide(start.State, new CreateCompleted(root.OpId, error, null));

        Assert.Equal(PartitionState.Failure, after.State.PartitionState);
        Assert.Contains("create /app/work failed with", after.State.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void SetupCreate_WhenAnExistingAncestorIsRefusedWithNoAuth_CarriesOn()
    {
        var start = Decider.Start(Config);
        var ancestor = start.Commands.Only<CreateNode>(c => c.Path == "/app");

        var after = Decider.Decide(start.State, new CreateCompleted(ancestor.OpId, ZooKeeperError.NoAuth, null));

        Assert.Equal(PartitionState.Allocating, after.State.PartitionState);
        Assert.Empty(after.Commands);
    }

    [Fact]
    public void SetupCreate_WhenTheParentIsMissing_FailsNamingThePath()
    {
        var start = Decider.Start(Config);
        var locks = start.Commands.Only<CreateNode>(c => c.Path == "/app/work/locks");

        var after = Decider.Decide(start.State, new CreateCompleted(locks.OpId, ZooKeeperError.NoNode, null));

        Assert.Equal(PartitionState.Failure, after.State.PartitionState);
        Assert.Contains("create /app/work/locks failed with NoNode", after.State.FailureReason, StringComparison.Ordinal);
        Assert.Contains(after.Commands, c => c is DeleteNode { Path: "/app/work/party/0123456789abcdef0123456789abcdef-host-1" });
    }

    [Fact]
    public void SetupCreate_WhenTheConnectionIsLostWithoutSuspension_RetriesAfterMaxReactionTime()
    {
        var cluster = new Cluster();
        cluster.Zk.Disconnect(1);
        var member = cluster.Join(Configs.For("0", 1));
        cluster.Settle();
        var retry = member.Commands.Only<StartTimer>(t => t.Due == member.State.Config.MaxReactionTime);
        cluster.Zk.Reconnect(1);
        int before = member.Commands.Count;

        cluster.Deliver(member, new TimerFired(retry.TimerId));

        var resent = member.SentSince(before);
        Assert.Equal(["/p", "/p/locks", "/p/party", "/p/party/" + Configs.PrefixFor("0") + "-0"], resent.OfType<CreateNode>().Select(c => c.Path));
        Assert.IsType<GetChildren>(resent[^1]);
        cluster.RunUntilQuiet();
        Assert.Equal(["0"], member.Acquired);
    }

    [Fact]
    public void StabilityWait_WhenThePartyReadSucceeds_StartsATimerOfTheTimeBoundary()
    {
        var start = Decider.Start(Config);
        var read = start.Commands.Only<GetChildren>();

        var after = Decider.Decide(start.State, new ChildrenCompleted(read.OpId, ZooKeeperError.Ok, ["x-host-1"]));

        var timer = Assert.IsType<StartTimer>(Assert.Single(after.Commands));
        Assert.Equal(TimeSpan.FromSeconds(30), timer.Due);
    }

    [Fact]
    public void StabilityWait_WhenThePartyChangesDuringTheWait_RereadsWithANewWatchAndRestartsTheTimer()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", 1));
        cluster.Settle();
        var firstTimer = member.Commands.Only<StartTimer>();
        int before = member.Commands.Count;

        cluster.Join(Configs.For("1", 1));
        cluster.Settle();

        var sent = member.Commands.Skip(before).ToList();
        Assert.Equal(firstTimer.TimerId, sent.OfType<CancelTimer>().Single().TimerId);
        var reread = sent.OfType<GetChildren>().Single();
        Assert.True(reread.Watch);
        Assert.Single(sent.OfType<StartTimer>());
        Assert.DoesNotContain(firstTimer.TimerId, member.Timers);
    }

    [Fact]
    public void StabilityWait_WhenACancelledTimerFiresLate_ChangesNothing()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", 1));
        cluster.Settle();
        var firstTimer = member.Commands.Only<StartTimer>();
        cluster.Join(Configs.For("1", 1));
        cluster.Settle();
        var before = member.State;

        var late = cluster.Deliver(member, new TimerFired(firstTimer.TimerId));

        Assert.Equal(before, late.State);
        Assert.Empty(late.Commands);
    }

    [Fact]
    public void StabilityWait_WhenTheTimerFires_AllocatesWithTheLastReadsMembers()
    {
        var cluster = new Cluster();
        var p0 = cluster.Join(Configs.For("0", 4));
        cluster.Settle();
        cluster.Join(Configs.For("1", 4));
        cluster.Settle();

        cluster.FireTimers(p0);

        Assert.Equal(["0", "2"], p0.Acquired);
    }

    [Fact]
    public void StabilityWait_WhenThePartyReadLosesTheConnection_ReadsAgainOnRetry()
    {
        var cluster = new Cluster();
        cluster.Zk.FailNext(c => c is GetChildren { Path: "/p/party" }, ZooKeeperError.ConnectionLoss);
        var member = cluster.Join(Configs.For("0", 1));
        cluster.Settle();
        Assert.Equal(PartitionState.Allocating, member.State.PartitionState);

        cluster.RunUntilQuiet();

        Assert.Equal(["0"], member.Acquired);
        Assert.Equal(2, member.Commands.OfType<GetChildren>().Count(c => c.Path == "/p/party"));
    }

    [Fact]
    public void Allocation_WhenOwnPartyNodeIsMissingFromTheSnapshot_JoinsAgainInsteadOfStalling()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", 2));
        cluster.Settle();
        cluster.Zk.DeleteAs(99, "/p/party/" + Configs.PrefixFor("0") + "-0");
        cluster.Settle();

        cluster.RunUntilQuiet();

        Assert.True(cluster.Zk.Exists("/p/party/" + Configs.PrefixFor("0") + "-0"));
        Assert.Equal(["0", "1"], member.Acquired);
    }
}
