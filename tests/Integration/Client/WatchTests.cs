using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

[Collection(SharedServerCollection.Name)]
public sealed class WatchTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task ExistsWatch_OnANodeThatDoesNotExistYet_FiresNodeCreated()
    {
        await using var zk = await Connect(server.ConnectString);
        await using var other = await Connect(server.ConnectString);
        var path = server.UniqueRoot("later");
        var watch = new AwaitableWatch();

        Assert.Null(await zk.ExistsAsync(path, watch.Callback).Within());
        await other.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, path), await watch.Task.Within());
    }

    [Fact]
    public async Task DataWatch_FiresOnceOnChangeThenNotAgain()
    {
        await using var zk = await Connect(server.ConnectString);
        var path = server.UniqueRoot("data-watch");
        await zk.CreateAsync(path, Bytes("0"), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var fired = new List<WatchedEvent>();

        await zk.GetDataAsync(path, e => { lock (fired) { fired.Add(e); } }).Within();
        await zk.SetDataAsync(path, Bytes("1")).Within();
        await zk.SetDataAsync(path, Bytes("2")).Within();
        // A round trip after the second change: any second notification would have been delivered before this reply.
        await zk.ExistsAsync(path).Within();

        lock (fired)
        {
            Assert.Equal([new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, path)], fired);
        }
    }

    [Fact]
    public async Task ChildWatch_FiresNodeChildrenChanged_AndDataWatchFiresNodeDeleted()
    {
        await using var zk = await Connect(server.ConnectString);
        var path = server.UniqueRoot("child-watch");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var children = new AwaitableWatch();
        var data = new AwaitableWatch();

        await zk.GetChildrenAsync(path, children.Callback).Within();
        await zk.CreateAsync(path + "/kid", Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        await zk.GetDataAsync(path + "/kid", data.Callback).Within();
        await zk.DeleteAsync(path + "/kid").Within();

        Assert.Equal(new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, path), await children.Task.Within());
        Assert.Equal(new WatchedEvent(EventType.NodeDeleted, KeeperState.SyncConnected, path + "/kid"), await data.Task.Within());
    }

    [Fact]
    public async Task Notification_IsDeliveredBeforeTheReplyOfTheWriteThatCausedIt()
    {
        await using var zk = await Connect(server.ConnectString);
        var path = server.UniqueRoot("order");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var order = new List<string>();

        await zk.GetDataAsync(path, _ => { lock (order) { order.Add("watch"); } }).Within();
        // The server sends the notification before the reply to setData; the client must keep that order for the caller.
        await zk.SetDataAsync(path, Bytes("x")).Within();
        lock (order)
        {
            order.Add("reply");
        }

        lock (order)
        {
            Assert.Equal(["watch", "reply"], order);
        }
    }

    [Fact]
    public async Task SlowWatcher_DoesNotStopPingsOrReads()
    {
        // A 3 s session has a read timeout of 2 s: if the watcher blocked the reader or the pinger, the connection
        // would be dropped while it sleeps, three times that. (With a shorter one, a loaded machine's own pauses could
        // pass the read timeout.)
        await using var zk = await Connect(server.ConnectString, TimeSpan.FromSeconds(3));
        var states = new StateLog(zk);
        var path = server.UniqueRoot("slow");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource();

        await zk.GetDataAsync(path, _ => { entered.TrySetResult(); release.Wait(TimeSpan.FromSeconds(20)); }).Within();

        // The write's reply is delivered after the notification it caused, so it waits behind the blocked watcher:
        // it is awaited only once the watcher is released (awaiting it first would sleep with the watcher already
        // timed out, and prove nothing).
        var write = zk.SetDataAsync(path, Bytes("x"));
        await entered.Task.Within();
        var heardBefore = zk.LastHeardTimestamp;
        Thread.Sleep(TimeSpan.FromSeconds(6));
        var heardAfter = zk.LastHeardTimestamp;
        var writeDoneWhileBlocked = write.IsCompleted;
        release.Set();
        await write.Within();

        Assert.False(writeDoneWhileBlocked, "the write's reply overtook the notification it caused");
        Assert.True(heardAfter > heardBefore, "ping replies kept arriving while the watcher was blocked");
        Assert.DoesNotContain(SessionEvent.Suspended, states.Events);
        Assert.Equal(ZooKeeperState.Connected, zk.State);
    }

    [Fact]
    public async Task Chroot_PrefixesRequestsAndStripsCreatedAndNotifiedPaths()
    {
        await using var plain = await Connect(server.ConnectString);
        var root = server.UniqueRoot("chroot");
        await plain.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        await using var rooted = await Connect(server.ConnectString + root);
        var watch = new AwaitableWatch();

        await rooted.GetChildrenAsync("/", watch.Callback).Within();
        var created = await rooted.CreateAsync("/n-", Bytes(""), CreateMode.PersistentSequential, Acl.OpenUnsafe).Within();

        Assert.Equal("/n-0000000000", created);
        Assert.Equal(["n-0000000000"], await plain.GetChildrenAsync(root).Within());
        Assert.Equal(new WatchedEvent(EventType.NodeChildrenChanged, KeeperState.SyncConnected, "/"), await watch.Task.Within());
    }
}
