using System.Globalization;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// A ZooKeeper ensemble of <see cref="Servers"/> on loopback (three by default), each a
/// <see cref="ZooKeeperServerProcess"/> with its own ports and data. Stop and start members with
/// <c>Servers[i].Stop()</c> / <c>Servers[i].Start()</c>; <see cref="Dispose"/> stops them all.
/// </summary>
/// <example>
/// <code>
/// using var ensemble = ZooKeeperEnsemble.Start();
/// await using var zk = await ZooKeeperClient.ConnectAsync(ensemble.ConnectString);
/// ensemble.ServerOn(zk.CurrentServer!.Port).Stop();   // the client moves to another member
/// </code>
/// </example>
public sealed class ZooKeeperEnsemble : IDisposable
{
    private ZooKeeperEnsemble(IReadOnlyList<ZooKeeperServerProcess> servers) => Servers = servers;

    /// <summary>The members, in id order (id = index + 1).</summary>
    public IReadOnlyList<ZooKeeperServerProcess> Servers { get; }

    /// <summary>Every member's <c>127.0.0.1:port</c>, comma-separated.</summary>
    public string ConnectString => string.Join(',', Servers.Select(s => s.ConnectString));

    /// <summary>Starts <paramref name="size"/> members and waits until each one serves (a leader was elected).</summary>
    /// <param name="size">How many members.</param>
    /// <param name="tickTimeMs">Their tick.</param>
    /// <param name="peerPortSeenByFirst">
    /// When given, maps the quorum (peer) port of member 2, 3, ... to the port member 1 is told to reach it at: a
    /// <see cref="TcpProxy"/> in front of it, so that a test can cut member 1 from whichever member leads. Member 1
    /// never leads while a higher one is up (the election prefers the highest id on equal data).
    /// </param>
    /// <param name="extraConfig">More zoo.cfg lines for the member of each id (1 to size), such as a TLS port; null for none.</param>
    public static ZooKeeperEnsemble Start(int size = 3, int tickTimeMs = 200, Func<int, IReadOnlyList<string>>? extraConfig = null,
        Func<int, int>? peerPortSeenByFirst = null)
    {
        var ports = Enumerable.Range(0, size).Select(_ => (Peer: FreePort.Next(), Election: FreePort.Next())).ToList();
        List<string> Lines(bool first) => ports
            .Select((p, i) => string.Create(
                CultureInfo.InvariantCulture,
                $"server.{i + 1}=127.0.0.1:{(first && i > 0 && peerPortSeenByFirst is not null ? peerPortSeenByFirst(p.Peer) : p.Peer)}:{p.Election}"))
            .ToList();
        var servers = Enumerable.Range(1, size)
            .Select(id => ZooKeeperServerProcess.Create(new ZooKeeperServerSettings { TickTimeMs = tickTimeMs, MyId = id, ExtraConfig = [.. Lines(id == 1), .. extraConfig?.Invoke(id) ?? []] }))
            .ToList();
        var ensemble = new ZooKeeperEnsemble(servers);
        try
        {
            foreach (var server in servers)
            {
                server.Start(waitReady: false);
            }

            foreach (var server in servers)
            {
                server.WaitServing();
            }

            return ensemble;
        }
        catch
        {
            ensemble.Dispose();
            throw;
        }
    }

    /// <summary>The member whose client port is <paramref name="port"/>.</summary>
    public ZooKeeperServerProcess ServerOn(int port) => Servers.Single(s => s.Port == port);

    /// <summary>Stops every member and deletes their data.</summary>
    public void Dispose()
    {
        foreach (var server in Servers)
        {
            server.Dispose();
        }
    }
}
