using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Network;

/// <summary>
/// The network between the members and the ensemble: TCP-like connections with a latency per message
/// and FIFO order per direction, and isolation of a member (a partition, both ways or one way). A partition holds traffic
/// rather than losing it, as TCP retransmission would: held messages go through when it heals, unless
/// an end has closed the connection meanwhile. The ensemble is the leader (<see cref="Server"/>) and
/// its <see cref="Followers"/>; each connection goes to one of them, drawn from the seed.
/// </summary>
public sealed class SimNetwork
{
    private readonly SortedDictionary<string, int> _toServerHeld = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, int> _toClientHeld = new(StringComparer.Ordinal);
    private readonly List<SimConnection> _connections = new();

    /// <summary>Creates a network with latencies drawn from [<paramref name="latencyMin"/>, <paramref name="latencyMax"/>].</summary>
    /// <param name="scheduler">The run's scheduler.</param>
    /// <param name="random">The network's random stream.</param>
    /// <param name="server">The leader.</param>
    /// <param name="latencyMin">The smallest one-way latency.</param>
    /// <param name="latencyMax">The largest one-way latency.</param>
    /// <param name="servers">How many servers the ensemble has: the leader and <c>servers - 1</c> followers, each with an apply lag up to twice the largest latency.</param>
    public SimNetwork(SimScheduler scheduler, SimRandom random, InMemoryZooKeeper server, TimeSpan latencyMin, TimeSpan latencyMax, int servers = 1)
    {
        Scheduler = scheduler;
        Random = random;
        Server = server;
        LatencyMin = latencyMin;
        LatencyMax = latencyMax;
        Followers = Enumerable.Range(1, Math.Max(0, servers - 1))
            .Select(id => new Follower(this, id, random.Between(TimeSpan.Zero, 2 * latencyMax)))
            .ToArray();
    }

    /// <summary>The followers (server ids 1, 2, ...); empty for a single server.</summary>
    public IReadOnlyList<Follower> Followers { get; }

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

    /// <summary>
    /// The largest reply frame a client accepts, in bytes; a reply above it fails its request alone with
    /// MarshallingError, the connection staying up, as the real client does. The default is 1,048,575 (ZooKeeper's jute.maxbuffer).
    /// </summary>
    public int FrameBytesMax { get; init; } = 1_048_575;

    /// <summary>True while what <paramref name="member"/> sends (or, with <paramref name="toServer"/> false, receives) is held.</summary>
    public bool IsHeld(string member, bool toServer) => (toServer ? _toServerHeld : _toClientHeld).ContainsKey(member);

    /// <summary>Cuts <paramref name="member"/> off: its traffic in both directions is held.</summary>
    public void Isolate(string member)
    {
        Hold(_toServerHeld, member);
        Hold(_toClientHeld, member);
    }

    /// <summary>Ends the cut; held traffic flows again (unless another cut still holds it).</summary>
    public void Heal(string member)
    {
        Release(_toServerHeld, member);
        Release(_toClientHeld, member);
        Flush(member);
    }

    /// <summary>
    /// A one-way cut: what <paramref name="member"/> sends is held (<paramref name="toServer"/> true: its
    /// requests and pings do not reach the server, while the server's replies and notifications still reach
    /// it), or what it receives is held (false: requests get through, replies do not).
    /// </summary>
    public void HoldOneWay(string member, bool toServer) => Hold(toServer ? _toServerHeld : _toClientHeld, member);

    /// <summary>Ends a one-way cut started by <see cref="HoldOneWay"/>.</summary>
    public void HealOneWay(string member, bool toServer)
    {
        Release(toServer ? _toServerHeld : _toClientHeld, member);
        Flush(member);
    }

    private static void Hold(SortedDictionary<string, int> held, string member) =>
        held[member] = held.GetValueOrDefault(member) + 1;

    private static void Release(SortedDictionary<string, int> held, string member)
    {
        // Cuts nest: two faults on one member each heal only their own hold.
        if (held.TryGetValue(member, out int count))
        {
            if (count <= 1)
            {
                held.Remove(member);
            }
            else
            {
                held[member] = count - 1;
            }
        }
    }

    private void Flush(string member)
    {
        _connections.RemoveAll(c => c.FullyClosed);
        foreach (var connection in _connections.Where(c => c.ClientName == member).ToArray())
        {
            connection.Flush();
        }
    }

    /// <summary>Opens a connection from <paramref name="client"/>'s process.</summary>
    internal SimConnection Open(SimulatedClientPort client, SimProcess process)
    {
        _connections.RemoveAll(c => c.FullyClosed);
        // A client tries the servers of its connect string in a shuffled order; one draw per attempt.
        int server = Followers.Count == 0 ? 0 : Random.Next(Followers.Count + 1);
        var via = server == 0 ? null : Followers[server - 1];
        var connection = new SimConnection(this, client, process, via);
        _connections.Add(connection);
        via?.Attach(connection);
        return connection;
    }

    /// <summary>The ensemble restarts: every follower's link is emptied with the leader's connections.</summary>
    internal void RestartFollowers()
    {
        foreach (var follower in Followers)
        {
            follower.Restart();
        }
    }
}
