using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

/// <summary>The requests with an ordered completion callback: outcomes as codes, in reply order, never on the reader.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class OrderedCallbackTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Create_WithACallback_WhenTheNodeExists_GivesNodeExistsAsACodeNotAnException()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("cb-exists");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var log = new CallbackLog();

        zk.Create(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe, log.Add<string>("create"));
        zk.Delete(root + "/missing", -1, log.Add<bool>("delete"));
        zk.Exists(root + "/missing", null, log.Add<Stat?>("exists"));
        zk.GetChildren(root + "/missing", null, log.Add<IReadOnlyList<string>>("children"));

        Assert.Equal(
            ["create NodeExists", "delete NoNode", "exists NoNode", "children NoNode"],
            await log.WaitFor(4));
    }

    [Fact]
    public async Task Callbacks_OfPipelinedRequests_RunInReplyOrderWithTheWatchEventBetweenTheReadAndTheWriteThatFiredIt()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("cb-order");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var log = new CallbackLog();

        // A watching read, then 50 pipelined creates under the node it watches, then a multi and a multiRead.
        zk.GetChildren(root, e => log.Record($"watch {e.Type}"), log.Add<IReadOnlyList<string>>("children"));
        for (var i = 0; i < 50; i++)
        {
            zk.Create($"{root}/n{i:D2}", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe, log.Add<string>($"create {i:D2}"));
        }

        zk.Multi([Op.Create(root + "/n00", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe)], r => log.Record($"multi {r.Error} {r.Value?.Error}"));
        zk.MultiRead([ReadOp.GetChildren(root)], r => log.Record($"multiRead {r.Error} {((ChildrenReadResult)r.Value![0]).Children.Count}"));

        // The server sends the watch's notification before the reply to the create that fired it.
        string[] expected =
        [
            "children Ok", "watch NodeChildrenChanged", .. Enumerable.Range(0, 50).Select(i => $"create {i:D2} Ok"),
            "multi Ok NodeExists", "multiRead Ok 50",
        ];
        Assert.Equal(expected, await log.WaitFor(expected.Length));
    }

    [Fact]
    public async Task Callback_NeverRunsOnTheSocketsThreads()
    {
        await using var zk = await Connect(server.ConnectString);
        var ran = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);

        // An idle client completes an awaited reply on its reader; a callback is the caller's code and must not run there.
        zk.Exists("/", null, _ => ran.TrySetResult(Thread.CurrentThread.Name));

        Assert.DoesNotContain("zookeeper", await ran.Task.Within() ?? "", StringComparison.Ordinal);
    }

    [Fact]
    public async Task Callback_OnAClosedClient_GetsSessionExpired()
    {
        var zk = await Connect(server.ConnectString);
        await zk.CloseAsync().Within();
        var log = new CallbackLog();

        zk.Create("/closed-client", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe, log.Add<string>("create"));
        zk.Sync("/", log.Add<bool>("sync"));

        Assert.Equal(["create SessionExpired", "sync SessionExpired"], await log.WaitFor(2));
    }

    [Fact]
    public async Task Callback_ThatThrows_DoesNotStopTheNextOne()
    {
        await using var zk = await Connect(server.ConnectString);
        var log = new CallbackLog();

        zk.Exists("/", null, _ => throw new InvalidOperationException("a caller's bug"));
        zk.Exists("/", null, log.Add<Stat?>("exists"));

        Assert.Equal(["exists Ok"], await log.WaitFor(1));
    }

    /// <summary>The lines the callbacks wrote, in the order they ran, and a bounded wait for a count of them.</summary>
    private sealed class CallbackLog
    {
        private readonly List<string> _lines = [];
        private readonly SemaphoreSlim _added = new(0);

        public Action<Reply<T>> Add<T>(string name) => reply => Record($"{name} {reply.Error}");

        public void Record(string line)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }

            _added.Release();
        }

        public async Task<IReadOnlyList<string>> WaitFor(int count)
        {
            for (var i = 0; i < count; i++)
            {
                Assert.True(await _added.WaitAsync(WaitMax), $"only {i} of {count} callbacks ran within {WaitMax}");
            }

            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }
}
