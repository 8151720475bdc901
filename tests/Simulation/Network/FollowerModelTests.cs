using Partitioner.Core;
using Partitioner.Simulation.Network;

namespace Partitioner.Tests.Simulation.Network;

/// <summary>
/// The ensemble model: a follower answers its clients' pings itself, sends everything else through the leader,
/// and relays its clients' touches to the leader; cut from the leader it keeps answering pings while the
/// leader expires the sessions, until it gives up after syncLimit ticks. The sessions time out after 3 s.
/// </summary>
public sealed class FollowerModelTests
{
    [Fact]
    public void Sync_OnAFollower_IsAnsweredThroughTheLeader()
    {
        var h = new ModelHarness(servers: 3);
        var (c, _) = h.ConnectToFollower("a");

        Assert.Equal(ZooKeeperError.Ok, h.Await(c.SyncAsync("/")));
    }

    [Fact]
    public void IdleClient_OnAFollowerThatReachesTheLeader_KeepsItsSessionWellPastTheTimeout()
    {
        // Its pings are answered by the follower alone; the leader hears of it only through the relayed touches.
        var h = new ModelHarness(servers: 3);
        var (c, _) = h.ConnectToFollower("a");

        h.RunFor(ModelHarness.Timeout * 4);

        Assert.True(h.Server.Session(c.SessionId)!.Alive);
        Assert.Empty(h.Events);
    }

    [Fact]
    public void CutFollower_AnswersPingsWhileTheLeaderExpiresTheSession_ThenGivesUpAfterSyncLimitTicks()
    {
        // Given an idle client on a follower that is then cut from the leader.
        var h = new ModelHarness(servers: 3);
        var (c, _) = h.ConnectToFollower("a");
        var follower = c.Follower!;
        follower.CutFromLeader();
        var cutAt = h.Scheduler.Now;

        // When the session timeout and a tick have passed, the leader has expired the session, while the
        // follower has kept answering the client's pings: the client still believes it is connected.
        h.RunFor(ModelHarness.Timeout + TimeSpan.FromMilliseconds(600));
        Assert.False(h.Server.Session(c.SessionId)!.Alive);
        Assert.Equal(ClientState.Connected, c.State);
        Assert.True(c.LastConfirmedTimestamp > cutAt.Ticks + TimeSpan.FromSeconds(2).Ticks, "pings were answered well into the cut");

        // Then after syncLimit ticks without the leader the follower closes its clients' connections, and the
        // client, reconnecting elsewhere, learns that its session expired.
        h.RunFor(TimeSpan.FromMilliseconds(500 * Follower.SyncLimit));
        Assert.True(follower.Looking);
        h.RunFor(ModelHarness.Timeout);
        Assert.Equal(["a Suspended", "a Expired"], h.Events);
    }

    [Fact]
    public void CutFollower_HoldsASyncAndThePingsBehindIt_SoTheClientTimesOut()
    {
        // ZooKeeper keeps a session's requests in order: a sync waiting for the leader holds back later pings.
        var h = new ModelHarness(servers: 3);
        var (c, _) = h.ConnectToFollower("a");
        c.Follower!.CutFromLeader();
        var sync = c.SyncAsync("/");

        h.RunFor(ModelHarness.Timeout);

        Assert.Equal(ZooKeeperError.ConnectionLoss, h.Await(sync));
        Assert.Equal("a Suspended", h.Events[0]);
    }

    [Fact]
    public void CutFollower_HealedBeforeItGivesUp_PassesTheHeldWriteAndItsNotification()
    {
        // Given a write held on a cut follower's link, and a watcher of the node on the leader.
        var h = new ModelHarness(servers: 3);
        var (c, _) = h.ConnectToFollower("a");
        var (watcher, _) = h.Connect("b");
        bool fired = false;
        h.Await(watcher.ExistsAsync("/n", _ => fired = true));
        c.Follower!.CutFromLeader();
        var create = c.CreateAsync("/n", default, NodeKind.Persistent);
        h.RunFor(TimeSpan.FromMilliseconds(500));
        Assert.Null(h.Server.Find("/n"));

        // When the cut heals, the write reaches the leader, is applied, and the watcher hears of it.
        c.Follower!.Heal();
        h.RunFor(TimeSpan.FromMilliseconds(200));
        Assert.NotNull(h.Server.Find("/n"));
        Assert.True(fired);
        Assert.Equal(ZooKeeperError.Ok, h.Await(create).Error);
    }
}
