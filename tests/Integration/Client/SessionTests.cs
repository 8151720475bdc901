using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

/// <summary>Session life: close, expiry, connection loss and reconnect, driven through a <see cref="TcpProxy"/>.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class SessionTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Close_DeletesTheSessionsEphemeralNodesAndEndsClosed()
    {
        await using var observer = await Connect(server.ConnectString);
        var zk = await Connect(server.ConnectString);
        var states = new StateLog(zk);
        var path = server.UniqueRoot("close");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var gone = new AwaitableWatch();
        await observer.ExistsAsync(path, gone.Callback).Within();

        await zk.CloseAsync().Within();

        Assert.Equal(EventType.NodeDeleted, (await gone.Task.Within()).Type);
        Assert.Equal(ZooKeeperState.Closed, zk.State);
        await states.WaitFor(SessionEvent.Closed);
        Assert.Throws<ObjectDisposedException>(() => { _ = zk.ExistsAsync(path); });
    }

    [Fact]
    public async Task CutConnection_SuspendsThenReconnectsWithTheSameSession()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString);
        var states = new StateLog(zk);
        var path = server.UniqueRoot("cut");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var sessionId = zk.SessionId;

        proxy.CutAll();
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.Equal([SessionEvent.Suspended, SessionEvent.Reconnected], states.Events);
        Assert.Equal(sessionId, zk.SessionId);
        Assert.Equal(sessionId, (await zk.ExistsAsync(path).Within())!.EphemeralOwner);
        Assert.Contains("127.0.0.1", zk.LastDisconnectReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequestInFlight_WhenTheConnectionIsLost_FailsWithConnectionLossAndIsNotReplayed()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString);
        var states = new StateLog(zk);
        var path = server.UniqueRoot("inflight");

        proxy.Blackhole(true);
        var create = zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe);
        proxy.CutAll();
        proxy.Blackhole(false);

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => create.Within());
        await states.WaitFor(SessionEvent.Reconnected);
        Assert.Equal(path, error.Path);
        // The held bytes were dropped with the cut connection, and the client did not send the create again.
        Assert.Null(await zk.ExistsAsync(path).Within());
    }

    [Fact]
    public async Task Request_WhileReconnecting_FailsAtOnceWithConnectionLoss()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString);
        var states = new StateLog(zk);

        proxy.RefuseNew = true;
        proxy.CutAll();
        await states.WaitFor(SessionEvent.Suspended);
        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => zk.ExistsAsync("/").Within());
        proxy.RefuseNew = false;
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.Contains("not connected", error.Message, StringComparison.Ordinal);
        Assert.Equal(ZooKeeperState.Connected, zk.State);
    }

    [Fact]
    public async Task Blackhole_LongerThanTheReadTimeout_DropsTheConnectionAndReconnectsWithTheSameSession()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString, TimeSpan.FromSeconds(3));
        var states = new StateLog(zk);
        var sessionId = zk.SessionId;
        string? reason = null;
        zk.StateChanged += e => reason ??= e == SessionEvent.Suspended ? zk.LastDisconnectReason : null;

        // Nothing arrives for more than the read timeout (2 s): the client must give up on the connection itself.
        proxy.Blackhole(true);
        await states.WaitFor(SessionEvent.Suspended);
        proxy.Blackhole(false);
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.StartsWith("nothing heard from 127.0.0.1", reason, StringComparison.Ordinal);
        Assert.Equal(sessionId, zk.SessionId);
    }

    [Fact]
    public async Task Delay_BelowTheReadTimeout_KeepsTheSessionConnected()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString, TimeSpan.FromSeconds(3));
        var states = new StateLog(zk);
        var path = server.UniqueRoot("delay");

        proxy.Delay = TimeSpan.FromMilliseconds(150);
        await zk.CreateAsync(path, Bytes("d"), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var reads = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => zk.GetDataAsync(path))).Within();

        Assert.All(reads, r => Assert.Equal("d", Text(r.Data)));
        Assert.Empty(states.Events);
    }

    [Fact]
    public async Task Watch_ArmedBeforeADisconnect_FiresForAChangeMadeWhileDisconnected()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString);
        await using var other = await Connect(server.ConnectString);
        var states = new StateLog(zk);
        var path = server.UniqueRoot("rewatch");
        await zk.CreateAsync(path, Bytes("0"), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var changed = new AwaitableWatch();
        var created = new AwaitableWatch();
        var untouched = new AwaitableWatch();
        await zk.GetDataAsync(path, changed.Callback).Within();
        await zk.ExistsAsync(path + "-new", created.Callback).Within();
        await zk.GetChildrenAsync(path, untouched.Callback).Within();

        proxy.RefuseNew = true;
        proxy.CutAll();
        await states.WaitFor(SessionEvent.Suspended);
        await other.SetDataAsync(path, Bytes("1")).Within();
        await other.CreateAsync(path + "-new", Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        proxy.RefuseNew = false;
        await states.WaitFor(SessionEvent.Reconnected);

        // setWatches with the last zxid seen makes the server fire what changed while the client was away...
        Assert.Equal(EventType.NodeDataChanged, (await changed.Task.Within()).Type);
        Assert.Equal(EventType.NodeCreated, (await created.Task.Within()).Type);
        // ...and re-arm the rest, which still fires for a later change.
        Assert.False(untouched.Task.IsCompleted);
        await other.CreateAsync(path + "/kid", Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        Assert.Equal(EventType.NodeChildrenChanged, (await untouched.Task.Within()).Type);
    }

    [Fact]
    public async Task ManyWatches_AreAllReArmedAfterAReconnect()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await Connect(proxy.ConnectString);
        await using var other = await Connect(server.ConnectString);
        var states = new StateLog(zk);
        var root = server.UniqueRoot("many-watches");
        await other.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        // 2,000 paths of about 120 bytes: the client splits them over several setWatches requests of at most 128 KB.
        var paths = Enumerable.Range(0, 2000).Select(i => $"{root}/{new string('w', 100)}-{i:D5}").ToList();
        var watches = paths.Select(_ => new AwaitableWatch()).ToList();
        await Task.WhenAll(paths.Select((p, i) => zk.ExistsAsync(p, watches[i].Callback))).Within();

        proxy.CutAll();
        await states.WaitFor(SessionEvent.Reconnected);
        await other.CreateAsync(paths[0], Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        await other.CreateAsync(paths[^1], Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();

        Assert.Equal(EventType.NodeCreated, (await watches[0].Task.Within()).Type);
        Assert.Equal(EventType.NodeCreated, (await watches[^1].Task.Within()).Type);
        Assert.Equal(paths[^1], (await watches[^1].Task).Path);
    }

    [Fact]
    public async Task Expiry_DeletesEphemeralsFiresWatchesWithExpiredAndEndsTheClient()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var observer = await Connect(server.ConnectString);
        await using var zk = await Connect(proxy.ConnectString, TimeSpan.FromSeconds(1));
        var states = new StateLog(zk);
        var path = server.UniqueRoot("expire");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var gone = new AwaitableWatch();
        await observer.ExistsAsync(path, gone.Callback).Within();
        var watch = new AwaitableWatch();
        await zk.ExistsAsync(path, watch.Callback).Within();

        proxy.RefuseNew = true;
        proxy.CutAll();
        Assert.Equal(EventType.NodeDeleted, (await gone.Task.Within()).Type);
        proxy.RefuseNew = false;
        await states.WaitFor(SessionEvent.Expired);

        Assert.Equal(new WatchedEvent(EventType.None, KeeperState.Expired, null), await watch.Task.Within());
        Assert.Equal(ZooKeeperState.Expired, zk.State);
        await Assert.ThrowsAsync<SessionExpiredException>(() => zk.ExistsAsync(path).Within());
        Assert.Equal([SessionEvent.Suspended, SessionEvent.Expired], states.Events);
    }
}
