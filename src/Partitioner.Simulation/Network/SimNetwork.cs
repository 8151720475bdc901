using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Network;

/// <summary>
/// The network between the members and the server: TCP-like connections with a latency per message
/// and FIFO order per direction, and isolation of a member (a partition). A partition holds traffic
/// rather than losing it, as TCP retransmission would: held messages go through when it heals, unless
/// an end has closed the connection meanwhile.
/// </summary>
public sealed class SimNetwork
{
    private readonly SortedSet<string> isolated = new(StringComparer.Ordinal);
    private readonly List<SimConnection> connections = new();

    /// <summary>Creates a network with latencies drawn from [<paramref name="latencyMin"/>, <paramref name="latencyMax"/>].</summary>
    public SimNetwork(SimScheduler scheduler, SimRandom random, InMemoryZooKeeper server, TimeSpan latencyMin, TimeSpan latencyMax)
    {
        Scheduler = scheduler;
        Random = random;
        Server = server;
        LatencyMin = latencyMin;
        LatencyMax = latencyMax;
    }

    /// <summary>The scheduler every message goes through.</summary>
    public SimScheduler Scheduler { get; }

    /// <summary>The network's random stream (latencies, reconnect backoff).</summary>
    public SimRandom Random { get; }

    /// <summary>The one server.</summary>
    public InMemoryZooKeeper Server { get; }

    /// <summary>The smallest one-way latency.</summary>
    public TimeSpan LatencyMin { get; }

    /// <summary>The largest one-way latency.</summary>
    public TimeSpan LatencyMax { get; }

    /// <summary>A one-way latency for one message.</summary>
    public TimeSpan DrawLatency() => Random.Between(LatencyMin, LatencyMax);

    /// <summary>True while <paramref name="member"/> is cut off.</summary>
    public bool IsIsolated(string member) => isolated.Contains(member);

    /// <summary>Cuts <paramref name="member"/> off: its traffic in both directions is held.</summary>
    public void Isolate(string member) => isolated.Add(member);

    /// <summary>Ends the cut; held traffic flows again.</summary>
    public void Heal(string member)
    {
        if (!isolated.Remove(member))
        {
            return;
        }

        connections.RemoveAll(c => c.FullyClosed);
        foreach (var connection in connections.Where(c => c.ClientName == member).ToArray())
        {
            connection.Flush();
        }
    }

    /// <summary>Opens a connection from <paramref name="client"/>'s process.</summary>
    internal SimConnection Open(SimulatedSession client, SimProcess process)
    {
        connections.RemoveAll(c => c.FullyClosed);
        var connection = new SimConnection(this, client, process);
        connections.Add(connection);
        return connection;
    }
}
