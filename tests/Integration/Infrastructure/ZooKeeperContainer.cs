using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// ZooKeeper 3.8 in a container (the official <c>zookeeper</c> image), started with Testcontainers and set up as the
/// Debian-package server is: tickTime 200 ms, sessions 400 ms to 30 s, the four-letter words the tests use, no admin
/// server. Its client port is mapped to a free host port.
/// </summary>
public sealed class ZooKeeperContainer : IDisposable
{
    /// <summary>The image; the same minor version as Debian's package.</summary>
    public const string Image = "zookeeper:3.8";

    private const int ClientPort = 2181;
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);
    private readonly IContainer _container;

    private ZooKeeperContainer(IContainer container)
    {
        _container = container;
        ConnectString = $"{container.Hostname}:{container.GetMappedPublicPort(ClientPort)}";
    }

    /// <summary><c>host:port</c> of the mapped client port.</summary>
    public string ConnectString { get; }

    /// <summary>Pulls the image when needed, starts the container, and waits until the server listens.</summary>
    public static ZooKeeperContainer Start()
    {
        var container = new ContainerBuilder(Image)
            .WithEnvironment("ZOO_TICK_TIME", "200")
            .WithEnvironment("ZOO_CFG_EXTRA", "minSessionTimeout=400 maxSessionTimeout=30000")
            .WithEnvironment("ZOO_4LW_COMMANDS_WHITELIST", "srvr,ruok,stat,mntr,cons")
            .WithEnvironment("ZOO_ADMINSERVER_ENABLED", "false")
            .WithPortBinding(ClientPort, assignRandomHostPort: true)
            .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("binding to port"))
            .Build();
        using var timeout = new CancellationTokenSource(StartTimeout);
        try
        {
            container.StartAsync(timeout.Token).GetAwaiter().GetResult();
            return new ZooKeeperContainer(container);
        }
        catch
        {
            container.DisposeAsync().AsTask().GetAwaiter().GetResult();
            throw;
        }
    }

    /// <summary>Stops and removes the container.</summary>
    public void Dispose() => _container.DisposeAsync().AsTask().GetAwaiter().GetResult();
}
