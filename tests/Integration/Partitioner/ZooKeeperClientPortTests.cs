using System.Collections.Concurrent;
using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper.Adapter;
using Partitioner.Tests.Support.Port;
using Partitioner.ZooKeeper.Port;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>The adapter on a real server: outcomes as codes, never exceptions; order kept; watches and session changes mapped.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class ZooKeeperClientPortTests(ZooKeeperServerFixture server)
{
    private static readonly ImmutableArray<AclEntry> Open = PartyAcl.OpenUnsafe.Node;

    [Fact]
    public async Task Outcomes_ComeBackAsCoreCodes_NotExceptions()
    {
        await using var client = await Connect(server.ConnectString);
        var port = new ZooKeeperClientPort(client);
        var root = server.UniqueRoot("port-codes");

        Assert.Equal(ZooKeeperError.NoNode, (await port.CreateAsync($"{root}/missing/child", default, NodeKind.Persistent, Open)).Error);
        var created = await port.CreateAsync(root, default, NodeKind.Persistent, Open);
        Assert.Equal(new CreateCompleted(0, ZooKeeperError.Ok, root), created);
        Assert.Equal(ZooKeeperError.NodeExists, (await port.CreateAsync(root, default, NodeKind.Persistent, Open)).Error);
        var sequential = await port.CreateAsync($"{root}/{NextPrefix()}__lock__", default, NodeKind.EphemeralSequential, Open);
        Assert.Matches(@"__lock__\d{10}$", sequential.CreatedPath);
        Assert.Equal(ZooKeeperError.NotEmpty, await port.DeleteAsync(root));
        Assert.Equal(ZooKeeperError.NoChildrenForEphemerals, (await port.CreateAsync($"{sequential.CreatedPath}/x", default, NodeKind.Persistent, Open)).Error);
        Assert.Equal(ZooKeeperError.NoNode, await port.DeleteAsync($"{root}/nothing"));
        Assert.Equal(ZooKeeperError.NoNode, (await port.GetChildrenAsync($"{root}/nothing", null)).Error);
        Assert.Equal(ZooKeeperError.NoNode, await port.ExistsAsync($"{root}/nothing", null));
        Assert.Equal(ZooKeeperError.Ok, await port.ExistsAsync(root, null));
        Assert.Equal(ZooKeeperError.Ok, await port.DeleteAsync(sequential.CreatedPath!));
        Assert.Equal(ZooKeeperError.Ok, await port.DeleteAsync(root));
    }

    [Fact]
    public async Task Multi_ReportsEachOpsResult_AndMultiReadEachPathsChildren()
    {
        await using var client = await Connect(server.ConnectString);
        var port = new ZooKeeperClientPort(client);
        var root = server.UniqueRoot("port-multi");
        await port.CreateAsync(root, default, NodeKind.Persistent, Open);

        var ok = await port.MultiAsync([new Core.CreateOp($"{root}/a", [], NodeKind.Persistent, Open), new Core.CreateOp($"{root}/a/x", [], NodeKind.Persistent, Open)]);
        var failed = await port.MultiAsync([new Core.CreateOp($"{root}/b", [], NodeKind.Persistent, Open), new Core.CreateOp($"{root}/a", [], NodeKind.Persistent, Open), new Core.DeleteOp($"{root}/a/x")]);
        var reads = await port.MultiGetChildrenAsync([$"{root}/a", $"{root}/none", root]);

        Assert.Equal(ZooKeeperError.Ok, ok.Error);
        // A multi is one transaction: each node it created has the multi's zxid, as the server's own stats say.
        var aCreated = (await client.ExistsAsync($"{root}/a"))!.Czxid;
        var xCreated = (await client.ExistsAsync($"{root}/a/x"))!.Czxid;
        Assert.Equal(aCreated, xCreated);
        Assert.Equal<WriteResult>([new WriteResult(ZooKeeperError.Ok, $"{root}/a", aCreated), new WriteResult(ZooKeeperError.Ok, $"{root}/a/x", xCreated)], ok.Results);
        Assert.Equal(ZooKeeperError.NodeExists, failed.Error);
        Assert.Equal([ZooKeeperError.Ok, ZooKeeperError.NodeExists, ZooKeeperError.RuntimeInconsistency], failed.Results.Select(r => r.Error));
        Assert.Equal(ZooKeeperError.NoNode, await port.ExistsAsync($"{root}/b", null));
        Assert.Equal(ZooKeeperError.Ok, reads.Error);
        Assert.Equal<string>(["x"], reads.Results[0].Children);
        Assert.Equal(ZooKeeperError.NoNode, reads.Results[1].Error);
        Assert.Equal<string>(["a"], reads.Results[2].Children);
    }

    [Fact]
    public async Task Results_CompleteInTheOrderTheRequestsWereMade()
    {
        await using var client = await Connect(server.ConnectString);
        var port = new ZooKeeperClientPort(client);
        var root = server.UniqueRoot("port-order");
        await port.CreateAsync(root, default, NodeKind.Persistent, Open);
        var order = new ConcurrentQueue<int>();

        // The port answers each request on the client's dispatcher, and the answers must come in request order.
        // Each answer's handling takes an uneven while, so that answers handled side by side would overtake each other.
        void Record(int i)
        {
            Thread.SpinWait((i * 7919) % 50_000);
            order.Enqueue(i);
        }

        var tasks = Enumerable.Range(0, 500).Select(i =>
            (i % 2 == 0 ? port.CreateAsync($"{root}/n{i}", default, NodeKind.Ephemeral, Open).ContinueWith(_ => Record(i), TaskContinuationOptions.ExecuteSynchronously)
                        : port.GetChildrenAsync(root, null).ContinueWith(_ => Record(i), TaskContinuationOptions.ExecuteSynchronously)))
            .ToList();
        await Task.WhenAll(tasks).WaitAsync(WaitMax);

        Assert.Equal(Enumerable.Range(0, 500), order);
    }

    [Fact]
    public async Task Watches_ReportTheNodeEvent_AfterTheReadThatLeftThem_AndBeforeTheResultOfTheWriteThatFiredThem()
    {
        await using var client = await Connect(server.ConnectString);
        var port = new ZooKeeperClientPort(client);
        var root = server.UniqueRoot("port-watch");
        await port.CreateAsync(root, default, NodeKind.Persistent, Open);
        var seen = new ConcurrentQueue<string>();

        var read = port.GetChildrenAsync(root, kind => seen.Enqueue($"children watch {kind}"))
            .ContinueWith(_ => seen.Enqueue("read done"), TaskContinuationOptions.ExecuteSynchronously);
        var exists = port.ExistsAsync($"{root}/c", kind => seen.Enqueue($"exists watch {kind}"))
            .ContinueWith(_ => seen.Enqueue("exists done"), TaskContinuationOptions.ExecuteSynchronously);
        var write = port.CreateAsync($"{root}/c", default, NodeKind.Ephemeral, Open)
            .ContinueWith(_ => seen.Enqueue("create done"), TaskContinuationOptions.ExecuteSynchronously);
        await Task.WhenAll(read, exists, write).WaitAsync(WaitMax);

        // The server sends the node's own event before its parent's, but the test only needs both between the reads and the write.
        var order = seen.ToList();
        Assert.Equal(["read done", "exists done"], order.Take(2));
        Assert.Equal(["children watch NodeChildrenChanged", "exists watch NodeCreated"], order.Skip(2).Take(2).Order(StringComparer.Ordinal));
        Assert.Equal(["create done"], order.Skip(4));
    }

    [Fact]
    public async Task SessionChanges_SuspendedAndReconnectedOnACut_ExpiredOnClose_AndLaterRequestsGiveCodes()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        var client = await Connect(proxy.ConnectString);
        var port = new ZooKeeperClientPort(client);
        var changes = new ConcurrentQueue<SessionChange>();
        port.SessionChanged += changes.Enqueue;

        proxy.CutAll();
        await Eventually(() => changes.Contains(SessionChange.Reconnected), "Reconnected after the cut");
        await client.CloseAsync();
        await Eventually(() => changes.Contains(SessionChange.Expired), "Expired after close");

        Assert.Equal([SessionChange.Suspended, SessionChange.Reconnected, SessionChange.Expired], changes);
        Assert.Equal(ZooKeeperError.SessionExpired, (await port.CreateAsync("/after-close", default, NodeKind.Persistent, Open)).Error);
        Assert.Equal(ZooKeeperError.SessionExpired, (await port.MultiAsync([new Core.DeleteOp("/x")])).Error);
    }

    [Fact]
    public async Task SessionChanged_AListenerAddedAfterTheSessionEnded_HearsExpiredAtOnce()
    {
        var client = await Connect(server.ConnectString);
        await client.CloseAsync();
        var port = new ZooKeeperClientPort(client);
        var changes = new ConcurrentQueue<SessionChange>();

        port.SessionChanged += changes.Enqueue;

        Assert.Equal([SessionChange.Expired], changes);
    }

    [Fact]
    public async Task Constructor_WithAClientAndAnotherTimeProvider_IsRefusedNamingTheOption()
    {
        await using var client = await Connect(server.ConnectString);
        var options = new global::Partitioner.ZooKeeper.SetPartitionerOptions { TimeProvider = new OtherClock() };

        var error = Assert.Throws<ArgumentException>(() => new global::Partitioner.ZooKeeper.SetPartitioner(client, "/p", ["a"], options));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("TimeProvider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LastHeard_IsNotMovedByAWatchEventReadAfterAPause_OnlyByAnAnsweredRequest()
    {
        var clock = new SteppedClock();
        var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(10), TimeProvider = clock };
        await using var client = await ZooKeeperClient.ConnectAsync(server.ConnectString, options).WaitAsync(WaitMax);
        await using var other = await Connect(server.ConnectString);
        var port = new ZooKeeperClientPort(client);
        var root = server.UniqueRoot("port-heard");
        await port.CreateAsync(root, default, NodeKind.Persistent, Open);
        var fired = new TaskCompletionSource<WatchEventKind>(TaskCreationOptions.RunContinuationsAsynchronously);
        await port.GetChildrenAsync(root, kind => fired.TrySetResult(kind));
        var beforePause = port.LastConfirmedTimestamp;

        // A pause, as this process sees it: a minute passes on its clock, then the first thing it reads is an event.
        clock.Advance(TimeSpan.FromMinutes(1));
        await other.CreateAsync($"{root}/c", ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral, Acl.OpenUnsafe);
        Assert.Equal(WatchEventKind.NodeChildrenChanged, await fired.Task.WaitAsync(WaitMax));

        Assert.True(client.LastHeardTimestamp > beforePause, "the client did read the event after the pause");
        Assert.Equal(beforePause, port.LastConfirmedTimestamp);
        await port.ExistsAsync(root, null);
        Assert.True(port.LastConfirmedTimestamp > beforePause, "an answered request confirms the session again");
    }

    private sealed class OtherClock : TimeProvider;

    /// <summary>The system clock plus an offset that a test moves forward, to stand for time lost in a pause.</summary>
    private sealed class SteppedClock : TimeProvider
    {
        private long _offset;

        public void Advance(TimeSpan by) => Interlocked.Add(ref _offset, (long)(by.TotalSeconds * TimestampFrequency));

        public override long GetTimestamp() => System.GetTimestamp() + Interlocked.Read(ref _offset);
    }
}
