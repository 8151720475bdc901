using Microsoft.Extensions.Logging;
using Partitioner.Integration.Infrastructure;
using Partitioner.Tests.Support.Client;
using Partitioner.Tests.Support.Telemetry;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

/// <summary>
/// The client's metrics (read with a MeterListener on a meter factory of the test's own) and log lines, against the
/// real server: requests by operation, failures by error code, round trips, reconnects, the session's state, and
/// the reason of every dropped connection.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class TelemetryTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Requests_AreCountedByOperation_FailuresByErrorCode_AndEachAnsweredOneTimed()
    {
        using var metrics = new MetricsCapture();
        await using var zk = await ConnectWith(server.ConnectString, metrics, new CapturingLoggerFactory());
        var path = server.UniqueRoot("telemetry");

        await zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        await zk.GetChildrenAsync(path).Within();
        await zk.GetChildrenAsync(path).Within();
        await Assert.ThrowsAsync<NoNodeException>(() => zk.DeleteAsync(path + "/missing").Within());
        await zk.DeleteAsync(path).Within();

        Assert.Equal(1, metrics.Sum("zookeeper.client.requests", "zookeeper.operation", "create"));
        Assert.Equal(2, metrics.Sum("zookeeper.client.requests", "zookeeper.operation", "get_children"));
        Assert.Equal(2, metrics.Sum("zookeeper.client.requests", "zookeeper.operation", "delete"));
        var failed = Assert.Single(metrics.Of("zookeeper.client.requests.failed"));
        Assert.Equal("delete", failed.Tag("zookeeper.operation"));
        Assert.Equal("NoNode", failed.Tag("error.type"));
        Assert.Equal(0, metrics.Sum("zookeeper.client.requests.in_flight"));
        var durations = metrics.Of("zookeeper.client.request.duration");
        Assert.Equal(5, durations.Count);
        Assert.All(durations, d => Assert.Equal("s", d.Unit));
        Assert.All(durations, d => Assert.InRange(d.Value, 0, ClientTestKit.WaitMax.TotalSeconds));
        Assert.Equal(1, metrics.Sum("zookeeper.client.sessions", "zookeeper.session.state", "connected"));
    }

    [Fact]
    public async Task ACutConnection_IsCountedAndLoggedWithItsReason_ThenTheReconnect_AndTheCloseEndsTheSessionsCount()
    {
        using var metrics = new MetricsCapture();
        var logs = new CapturingLoggerFactory();
        await using var proxy = TcpProxy.Start(server.Port);
        var zk = await ConnectWith(proxy.ConnectString, metrics, logs);
        var states = new StateLog(zk);
        proxy.Blackhole(true);
        var lost = zk.ExistsAsync("/");

        proxy.CutAll();
        proxy.Blackhole(false);
        await Assert.ThrowsAsync<ConnectionLossException>(() => lost.Within());
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.Equal(1, metrics.Sum("zookeeper.client.disconnects"));
        Assert.Equal(1, metrics.Sum("zookeeper.client.reconnects"));
        var dropped = Assert.Single(metrics.Of("zookeeper.client.requests.failed"));
        Assert.Equal("exists", dropped.Tag("zookeeper.operation"));
        Assert.Equal("ConnectionLoss", dropped.Tag("error.type"));
        Assert.Equal(1, metrics.Sum("zookeeper.client.sessions", "zookeeper.session.state", "connected"));
        Assert.Equal(0, metrics.Sum("zookeeper.client.sessions", "zookeeper.session.state", "suspended"));
        var session = $"0x{zk.SessionId:x}";
        var drop = Assert.Single(logs.Lines, l => l.Message.Contains("lost its connection", StringComparison.Ordinal));
        Assert.Equal(LogLevel.Warning, drop.Level);
        Assert.Equal("ZooKeeper.Client", drop.Category);
        Assert.Contains(session, drop.Message, StringComparison.Ordinal);
        Assert.Contains(zk.LastDisconnectReason!, drop.Message, StringComparison.Ordinal);
        Assert.EndsWith("1 requests in flight failed with ConnectionLoss", drop.Message, StringComparison.Ordinal);
        Assert.Single(logs.Lines, l => l.Message.StartsWith($"ZooKeeper: session {session} reconnected to 127.0.0.1:{proxy.Port}", StringComparison.Ordinal));

        await zk.CloseAsync().Within();

        Assert.Equal(0, metrics.Sum("zookeeper.client.sessions"));
        Assert.Contains(logs.Lines, l => l.Message == $"ZooKeeper: session {session} closed");
        Assert.Contains(logs.Lines, l => l.Message.StartsWith($"ZooKeeper: session {session} connected to 127.0.0.1:{proxy.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AnExpiredSession_IsCountedAndLogged()
    {
        using var metrics = new MetricsCapture();
        var logs = new CapturingLoggerFactory();
        await using var proxy = TcpProxy.Start(server.Port);
        await using var zk = await ConnectWith(proxy.ConnectString, metrics, logs, TimeSpan.FromSeconds(1));
        var states = new StateLog(zk);
        var session = $"0x{zk.SessionId:x}";
        await using var observer = await Connect(server.ConnectString);
        var path = server.UniqueRoot("telemetry-expire");
        await zk.CreateAsync(path, Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var gone = new AwaitableWatch();
        await observer.ExistsAsync(path, gone.Callback).Within();

        // Kept away until the server has expired the session (its ephemeral node goes), then let in to hear it.
        proxy.RefuseNew = true;
        proxy.CutAll();
        await gone.Task.Within();
        proxy.RefuseNew = false;
        await states.WaitFor(SessionEvent.Expired).Within();

        Assert.Equal(1, metrics.Sum("zookeeper.client.session.expirations"));
        Assert.Equal(0, metrics.Sum("zookeeper.client.sessions"));
        var expired = Assert.Single(logs.Lines, l => l.Message == $"ZooKeeper: session {session} expired");
        Assert.Equal(LogLevel.Warning, expired.Level);
    }

    [Fact]
    public async Task NoServer_EachFailedConnectIsLoggedWithItsReason_AndTheConnectTimeoutNamesTheServer()
    {
        var logs = new CapturingLoggerFactory();
        // The timeout must let at least one attempt end, or the message says "no answer"; 3 s leaves a loaded machine
        // time to start the first one (a refused loopback connect itself takes no time).
        var options = new ZooKeeperClientOptions { ConnectTimeout = TimeSpan.FromSeconds(3), ReconnectDelayMax = TimeSpan.FromMilliseconds(100), LoggerFactory = logs };

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync("127.0.0.1:1", options).Within());

        Assert.Contains("could not connect to 127.0.0.1:1 within 3 s; the last attempt: connecting to 127.0.0.1:1 failed: Connection refused", error.Message, StringComparison.Ordinal);
        Assert.Contains(logs.Lines, l => l.Level == LogLevel.Warning && l.Message == "ZooKeeper: connecting to 127.0.0.1:1 failed: Connection refused");
    }

    private static Task<ZooKeeperClient> ConnectWith(string connectString, MetricsCapture metrics, ILoggerFactory logs, TimeSpan? sessionTimeout = null)
    {
        using var timeout = new CancellationTokenSource(WaitMax);
        var options = new ZooKeeperClientOptions
        {
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            MeterFactory = metrics,
            LoggerFactory = logs,
        };
        return ZooKeeperClient.ConnectAsync(connectString, options, timeout.Token);
    }
}
