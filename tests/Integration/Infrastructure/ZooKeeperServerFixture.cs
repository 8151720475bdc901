namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// One ZooKeeper server shared by a test collection: the server named by the <c>ZOOKEEPER_CONNECT</c>
/// environment variable when set, otherwise a <see cref="ZooKeeperServerProcess"/> started for the run
/// (tickTime 200 ms, sessions 400 ms to 30 s). Tests sharing it must use their own root path
/// (<see cref="UniqueRoot"/>) and must not restart it.
/// </summary>
public sealed class ZooKeeperServerFixture : IDisposable
{
    private int _roots;

    /// <summary>Starts the server, unless <c>ZOOKEEPER_CONNECT</c> names one.</summary>
    public ZooKeeperServerFixture()
    {
        var external = Environment.GetEnvironmentVariable("ZOOKEEPER_CONNECT");
        if (string.IsNullOrWhiteSpace(external))
        {
            Server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 200, MinSessionTimeoutMs = 400 });
            ConnectString = Server.ConnectString;
        }
        else
        {
            ConnectString = external.Trim();
        }
    }

    /// <summary>The server's connect string (no chroot).</summary>
    public string ConnectString { get; }

    /// <summary>The local server process; null when <c>ZOOKEEPER_CONNECT</c> is used.</summary>
    public ZooKeeperServerProcess? Server { get; }

    /// <summary>The client port of <see cref="ConnectString"/>'s first server.</summary>
    public int Port => int.Parse(ConnectString.Split(',')[0].Split(':')[1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A root path no other test of this run uses, such as <c>/t-3f2a-17</c> (the node is not created).</summary>
    public string UniqueRoot(string name) => $"/{name}-{Environment.ProcessId}-{Interlocked.Increment(ref _roots)}";

    /// <summary>Stops a local server.</summary>
    public void Dispose() => Server?.Dispose();
}

/// <summary>Tests that share the one server of <see cref="ZooKeeperServerFixture"/> and never restart it.</summary>
[CollectionDefinition(Name)]
public sealed class SharedServerCollection : ICollectionFixture<ZooKeeperServerFixture>
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Shared ZooKeeper server";
}

/// <summary>Tests that start, stop and restart their own servers; they run one at a time, apart from the shared server's tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class OwnServerCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "Own ZooKeeper servers";
}
