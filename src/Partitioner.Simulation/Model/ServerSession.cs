using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Model;

/// <summary>The server's side of a client connection: where the server's messages to the client go.</summary>
public interface IServerConnection
{
    /// <summary>Queues a watch notification to the client, behind everything already sent.</summary>
    void Notify(string path, Partitioner.Core.WatchEventKind kind);

    /// <summary>Closes the connection from the server's side; the client reads the close after what was already sent.</summary>
    void Close();

    /// <summary>The server process stops: the connection is gone at once, without passing through a follower.</summary>
    void Drop();
}

/// <summary>A session as the server keeps it.</summary>
public sealed class ServerSession
{
    internal ServerSession(long id, TimeSpan timeout, long nowTicks, WatchIndex dataIndex, WatchIndex childIndex)
    {
        DataWatches = new WatchPaths(dataIndex, id);
        ChildWatches = new WatchPaths(childIndex, id);
        Id = id;
        Timeout = timeout;
        LastHeardTicks = nowTicks;
    }

    /// <summary>The session id.</summary>
    public long Id { get; }

    /// <summary>The negotiated timeout.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>When the server last heard from the client, in virtual ticks.</summary>
    public long LastHeardTicks { get; internal set; }

    /// <summary>False once expired or closed.</summary>
    public bool Alive { get; internal set; } = true;

    /// <summary>True when a fault ended the session by decree rather than by timeout; see <see cref="InMemoryZooKeeper.ExpireSession"/>.</summary>
    public bool ForcedExpiry { get; internal set; }

    /// <summary>
    /// The server the session last connected through (0 for the leader, else the follower's id): ZooKeeper's
    /// session owner. The leader refuses a request that comes through another server (SessionMoved), so a
    /// request held on a cut follower's link cannot land after the client moved on.
    /// </summary>
    public int Owner { get; internal set; }

    /// <summary>The connection the session is attached to; null while the client is disconnected.</summary>
    internal IServerConnection? Connection { get; set; }

    /// <summary>
    /// This session's ephemeral nodes, in no order (each knows its index, so that one is removed by moving the last
    /// into its place): the session's end deletes them in path order, the one time they are walked.
    /// </summary>
    internal List<ZNode> Ephemerals { get; } = new();

    /// <summary>Records <paramref name="node"/> as one of this session's ephemerals.</summary>
    internal void AddEphemeral(ZNode node)
    {
        node.EphemeralIndex = Ephemerals.Count;
        Ephemerals.Add(node);
    }

    /// <summary>Forgets <paramref name="node"/>, one of this session's ephemerals.</summary>
    internal void RemoveEphemeral(ZNode node)
    {
        if (node.EphemeralIndex >= Ephemerals.Count || !ReferenceEquals(Ephemerals[node.EphemeralIndex], node))
        {
            throw new InvalidOperationException($"session 0x{Id:x} does not own the ephemeral node {node.Path}");
        }

        int last = Ephemerals.Count - 1;
        var moved = Ephemerals[last];
        Ephemerals[node.EphemeralIndex] = moved;
        moved.EphemeralIndex = node.EphemeralIndex;
        Ephemerals.RemoveAt(last);
    }

    /// <summary>Paths with a data or exists watch, tied (as in ZooKeeper) to the current connection.</summary>
    internal WatchPaths DataWatches { get; }

    /// <summary>Paths with a children watch, tied to the current connection.</summary>
    internal WatchPaths ChildWatches { get; }

    /// <summary>The pending expiry check.</summary>
    internal ScheduledAction? ExpiryCheck { get; set; }
}

/// <summary>The watches a reconnecting client asks the server to re-arm (ZooKeeper's setWatches).</summary>
/// <param name="RelativeZxid">The last zxid the client saw.</param>
/// <param name="DataWatches">Exists watches left on nodes that existed.</param>
/// <param name="ExistWatches">Exists watches left on nodes that did not exist.</param>
/// <param name="ChildWatches">Children watches.</param>
public sealed record WatchSet(long RelativeZxid, IReadOnlyList<string> DataWatches, IReadOnlyList<string> ExistWatches, IReadOnlyList<string> ChildWatches);
