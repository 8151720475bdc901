using Partitioner.Core;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Scheduling;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Simulation.Network;

public sealed class SimulatedClientPortTests
{
    [Fact]
    public void IdleClient_KeepsItsSessionAliveWithPings()
    {
        // Given a connected client that sends nothing
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");

        // When ten session timeouts pass
        h.RunFor(ModelHarness.Timeout * 10);

        // Then the session is alive and nothing changed
        Assert.True(h.Server.Session(c.SessionId)!.Alive);
        Assert.Empty(h.Events);
    }

    [Fact]
    public void Partition_ShorterThanTheTimeout_SuspendsFailsPendingThenReconnects()
    {
        // Given a client with a request in flight when it is cut off
        var h = new ModelHarness();
        var (c, p) = h.Connect("a");
        h.Network.Isolate(p.Name);
        var pending = c.CreateAsync("/x", default, NodeKind.Persistent);

        // When 2/3 of the timeout pass, then the cut heals before the timeout
        h.RunFor(ModelHarness.Timeout * 0.7);
        Assert.True(pending.IsCompleted);
        var outcome = h.Await(pending);
        h.Network.Heal(p.Name);
        h.RunFor(ModelHarness.Timeout);

        // Then the request failed with ConnectionLoss, and the client was Suspended, then Reconnected
        Assert.Equal(ZooKeeperError.ConnectionLoss, outcome.Error);
        Assert.Equal(["a Suspended", "a Reconnected"], h.Events);
        Assert.True(h.Server.Session(c.SessionId)!.Alive);
    }

    [Fact]
    public void Partition_LongerThanTheTimeout_EndsInExpired()
    {
        var h = new ModelHarness();
        var (c, p) = h.Connect("a");
        h.Network.Isolate(p.Name);

        h.RunFor(ModelHarness.Timeout * 1.5);
        h.Network.Heal(p.Name);
        h.RunFor(ModelHarness.Timeout);

        Assert.Equal(["a Suspended", "a Expired"], h.Events);
        Assert.False(h.Server.Session(c.SessionId)!.Alive);
        Assert.Equal(ZooKeeperError.SessionExpired, h.Await(c.DeleteAsync("/x")));
    }

    [Fact]
    public void LastConfirmedTimestamp_OnAReply_IsTheRequestsSendTimeNotItsArrival()
    {
        // Given a client on a slow link (50 ms each way)
        var h = new ModelHarness(latency: TimeSpan.FromMilliseconds(50));
        var (c, p) = h.Connect("a");
        var clock = new VirtualTimeProvider(h.Scheduler, p, 0);

        // When a request is sent and its reply arrives about 100 ms later
        long sent = clock.GetTimestamp();
        var reply = c.CreateAsync("/x", default, NodeKind.Persistent);
        h.RunFor(TimeSpan.FromMilliseconds(300));

        // Then the session is known alive as of the send, not the arrival
        Assert.Equal(ZooKeeperError.Ok, h.Await(reply).Error);
        Assert.True(clock.GetTimestamp() - sent >= TimeSpan.FromMilliseconds(100).Ticks, "the reply took a round trip");
        Assert.True(c.LastConfirmedTimestamp >= sent, "the reply confirmed the session");
        Assert.True(c.LastConfirmedTimestamp < sent + TimeSpan.FromMilliseconds(100).Ticks, "confirmed at the arrival, not the send");
    }

    [Fact]
    public void LastConfirmedTimestamp_OnAWatchNotification_DoesNotMove()
    {
        // Given a client with a watch, idle long enough that no ping is due yet
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        var (other, _) = h.Connect("b");
        bool fired = false;
        h.Await(c.ExistsAsync("/n", _ => fired = true));
        var before = c.LastConfirmedTimestamp;

        // When another session's write fires the watch
        h.Await(other.CreateAsync("/n", default, NodeKind.Persistent));
        h.RunFor(TimeSpan.FromMilliseconds(50));

        // Then the notification arrived, but it confirms nothing about this session's liveness
        Assert.True(fired);
        Assert.Equal(before, c.LastConfirmedTimestamp);
    }

    [Fact]
    public void Pause_LongerThanTheTimeout_ReadTimeoutIsCheckedBeforeBufferedInput()
    {
        // Given a paused client whose watch will be notified while it is paused
        var h = new ModelHarness();
        var (c, p) = h.Connect("a");
        var (other, _) = h.Connect("b");
        h.Await(c.ExistsAsync("/n", _ => h.Events.Add("a watch fired")));
        p.Pause();
        h.Await(other.CreateAsync("/n", default, NodeKind.Persistent));

        // When it resumes after the server expired it
        h.RunFor(ModelHarness.Timeout * 2);
        var heardBefore = c.LastConfirmedTimestamp;
        p.Resume();
        h.RunFor(ModelHarness.Timeout);

        // Then it suspends first (never reading the stale notification), and learns it expired
        Assert.Equal(["a Suspended", "a Expired"], h.Events);
        Assert.Equal(heardBefore, c.LastConfirmedTimestamp);
    }

    [Fact]
    public void ServerRestart_SessionsSurviveAndWatchesAreRearmed()
    {
        // Given a children watch on /p
        var h = new ModelHarness();
        var (c, _) = h.Connect("a", WatchReconnectMode.Rearm);
        var (other, _) = h.Connect("b");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        var fired = new List<WatchEventKind>();
        h.Await(c.GetChildrenAsync("/p", fired.Add));

        // When the server restarts, and after both reconnect /p gains a child
        h.Server.GoDown();
        h.RunFor(ModelHarness.Timeout / 2);
        h.Server.ComeUp();
        h.RunFor(ModelHarness.Timeout);
        h.Await(other.CreateAsync("/p/x", default, NodeKind.Persistent));
        h.RunFor(TimeSpan.FromMilliseconds(100));

        // Then the session survived and the re-armed watch fired
        Assert.Equal(["a Suspended", "a Reconnected"], h.Events.Where(e => e.StartsWith('a')));
        Assert.Equal(["b Suspended", "b Reconnected"], h.Events.Where(e => e.StartsWith('b')));
        Assert.Equal([WatchEventKind.NodeChildrenChanged], fired);
    }

    [Fact]
    public void ConnectionLoss_InKazooMode_FiresWatchesWithDisconnected()
    {
        var h = new ModelHarness();
        var (c, _) = h.Connect("a", WatchReconnectMode.FireDisconnected);
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        var fired = new List<WatchEventKind>();
        h.Await(c.GetChildrenAsync("/p", fired.Add));

        c.ResetConnection();
        h.RunFor(ModelHarness.Timeout);

        Assert.Equal([WatchEventKind.Disconnected], fired);
        Assert.Equal(["a Suspended", "a Reconnected"], h.Events);
    }
}
