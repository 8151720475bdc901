namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// One ZooKeeper server shared by a test collection (tickTime 200 ms, sessions 400 ms to 30 s): the server named by
/// the <c>ZOOKEEPER_CONNECT</c> environment variable when set; otherwise ZooKeeper in a container started with
/// Testcontainers when a Docker engine answers (<see cref="DockerEngineProbe"/>); otherwise, and when the container
/// cannot start (no image and no registry, for instance), a <see cref="ZooKeeperServerProcess"/> from Debian's
/// package. The choice and its reason are printed. Tests sharing it must use their own root path
/// (<see cref="UniqueRoot"/>) and must not restart it. On a machine without Docker (this project's CI) the container
/// path is not exercised; <c>ServerChoiceTests</c> cover the choice itself.
/// </summary>
public sealed class ZooKeeperServerFixture : IDisposable
{
    private readonly ZooKeeperContainer? _container;
    private int _roots;

    /// <summary>Starts the server, unless <c>ZOOKEEPER_CONNECT</c> names one.</summary>
    public ZooKeeperServerFixture()
    {
        var external = Environment.GetEnvironmentVariable("ZOOKEEPER_CONNECT");
        var probe = DockerEngineProbe.FromEnvironment();
        Source = ServerChoice.Decide(external, probe.Answers);
        switch (Source)
        {
            case ServerSource.External:
                ConnectString = external!.Trim();
                Report($"the server named by ZOOKEEPER_CONNECT, {ConnectString}");
                return;
            case ServerSource.Container:
                try
                {
                    _container = ZooKeeperContainer.Start();
                    ConnectString = _container.ConnectString;
                    Report($"{ZooKeeperContainer.Image} in a container (the Docker engine at {probe.Endpoint} answered), {ConnectString}");
                    return;
                }
                catch (Exception e)
                {
                    Report($"the container did not start ({e.GetType().Name}: {e.Message}); falling back to Debian's package");
                    Source = ServerSource.DebianPackage;
                }

                break;
        }

        Server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 200, MinSessionTimeoutMs = 400 });
        ConnectString = Server.ConnectString;
        Report($"Debian's zookeeper package as a child process (no Docker engine answered at {probe.Endpoint}), {ConnectString}");
    }

    /// <summary>Where the server came from.</summary>
    public ServerSource Source { get; }

    /// <summary>The server's connect string (no chroot).</summary>
    public string ConnectString { get; }

    /// <summary>The local server process; null when <c>ZOOKEEPER_CONNECT</c> or a container is used.</summary>
    public ZooKeeperServerProcess? Server { get; }

    /// <summary>The client port of <see cref="ConnectString"/>'s first server.</summary>
    public int Port => int.Parse(ConnectString.Split(',')[0].Split(':')[1].Split('/')[0], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A root path no other test of this run uses, such as <c>/t-3f2a-17</c> (the node is not created).</summary>
    public string UniqueRoot(string name) => $"/{name}-{Environment.ProcessId}-{Interlocked.Increment(ref _roots)}";

    /// <summary>Stops a local server or the container.</summary>
    public void Dispose()
    {
        Server?.Dispose();
        _container?.Dispose();
    }

    /// <summary>Prints the choice on the test run's output; xunit shows a fixture's standard output with the run's.</summary>
    private static void Report(string choice) => Console.WriteLine($"[ZooKeeper test server] {choice}");
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
