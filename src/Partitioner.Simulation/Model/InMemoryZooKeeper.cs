using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.CompilerServices;
using Partitioner.Core;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Model;

/// <summary>
/// A single ZooKeeper server held in memory, with the semantics the recipes rely on: persistent,
/// ephemeral and sequential nodes (the parent's cversion as a 10-digit suffix); atomic multi with
/// per-op results; per-op multiRead; one-shot data/exists and children watches tied to the
/// connection (re-armed by <see cref="WatchSet"/> on reconnect); sessions that the server expires
/// when it has not heard from the client for the timeout; one zxid per write, never going backwards.
/// It knows nothing of the network: a simulated session carries requests to it.
/// </summary>
public sealed partial class InMemoryZooKeeper
{
    /// <summary>The first session id handed out.</summary>
    public const long FirstSessionId = 0x100;

    private readonly SimScheduler _scheduler;
    private readonly SimRandom _random;
    private readonly SortedDictionary<long, ServerSession> _sessions = new();

    // The same sessions by id for lookups, which every request and every step's checks make; the sorted one is
    // what is walked, in session-id order, so that a walk never depends on hashing.
    private readonly Dictionary<long, ServerSession> _sessionsById = new();

    // Every persistent node by its full path: a request finds its node in one lookup, without cutting the path into
    // segments, and a create finds its parent by a span of its path, without cutting a substring for it. An ephemeral
    // node, which has no children, is found in its parent: a lock node then costs no entry here.
    private readonly Dictionary<string, ZNode> _nodesByPath = new(StringComparer.Ordinal);
    private readonly Dictionary<string, ZNode>.AlternateLookup<ReadOnlySpan<char>> _nodesBySpan;
    private readonly WatchIndex _dataWatchers = new();
    private readonly WatchIndex _childWatchers = new();
    private readonly SortedSet<long> _notified = new();
    private long _nextSessionId = FirstSessionId;

    // The batch the next write uses, kept between writes; null while one is in use.
    private WriteBatch? _spareBatch;

    /// <summary>Creates an empty server (only the root node) that is up.</summary>
    public InMemoryZooKeeper(SimScheduler scheduler, SimRandom random, TimeSpan tickTime)
    {
        _scheduler = scheduler;
        _random = random;
        TickTime = tickTime;
        Root = new ZNode("/", null, ImmutableArray<byte>.Empty, 0, 0);
        _nodesByPath.Add(Root.Path, Root);
        _nodesBySpan = _nodesByPath.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The server's tick: session timeouts are clamped to [2, 20] ticks, as ZooKeeper does.</summary>
    public TimeSpan TickTime { get; }

    /// <summary>
    /// How fast the server's clock runs against true time, in parts per million: at +20,000 it measures a
    /// session timeout 2% sooner in true time, and so expires sessions early. The default is 0.
    /// </summary>
    public int ClockDriftPpm { get; init; }

    /// <summary>The root node.</summary>
    public ZNode Root { get; }

    /// <summary>The zxid of the last write.</summary>
    public long LastZxid { get; private set; }

    /// <summary>False while the server is down for a restart.</summary>
    public bool Up { get; private set; } = true;

    /// <summary>Receives one line per server action, for the run's trace.</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>
    /// When set, collects the path of every node whose children a committed write changed, so that the
    /// checks after a step re-read only the lock folders that moved instead of all of them.
    /// </summary>
    internal HashSet<string>? ChangedParents { get; set; }

    /// <summary>
    /// When set, called with the path of every node whose children a committed write changed, at the instant of the
    /// write: for checks that need every state a folder passed through, not only the last one of a step (followers
    /// apply the leader's writes one by one, so a member may read any of them).
    /// </summary>
    internal Action<string>? ChildrenChanged { get; set; }

    /// <summary>The session with <paramref name="id"/>, or null if the server never had it.</summary>
    public ServerSession? Session(long id) => _sessionsById.GetValueOrDefault(id);

    /// <summary>The node at <paramref name="path"/>, or null.</summary>
    public ZNode? Find(string path)
    {
        if (_nodesByPath.TryGetValue(path, out var found))
        {
            return found;
        }

        // A valid path (every node's is one) that is not in the index is an ephemeral node's or none; any other (empty
        // segments, a trailing slash) is walked as before.
        if (path == "/" || IsValidPath(path))
        {
            return ParentOf(path)?.ChildByPath(path);
        }

        // Walked segment by segment.
        var node = Root;
        int start = 0;
        while (start < path.Length)
        {
            int slash = path.IndexOf('/', start);
            int end = slash < 0 ? path.Length : slash;
            if (end > start)
            {
                node = node.Child(path[start..end]);
                if (node is null)
                {
                    return null;
                }
            }

            start = end + 1;
        }

        return node;
    }

    /// <summary>
    /// A client's connect request: a new session when <paramref name="sessionId"/> is 0, otherwise the
    /// same session on a new connection if it is alive. Returns the session, or null when the session
    /// has expired (the client then reports Expired).
    /// </summary>
    /// <param name="sessionId">The session to reconnect, or 0 for a new one.</param>
    /// <param name="requestedTimeout">The timeout the client asks for.</param>
    /// <param name="connection">The client's connection.</param>
    /// <param name="owner">The server the client connected through: 0 for the leader, else the follower's id.</param>
    public ServerSession? Connect(long sessionId, TimeSpan requestedTimeout, IServerConnection connection, int owner = 0)
    {
        EnsureUp();
        if (sessionId == 0)
        {
            var created = new ServerSession(_nextSessionId++, Negotiate(requestedTimeout), _scheduler.NowTicks, _dataWatchers, _childWatchers) { Connection = connection, Owner = owner };
            _sessions.Add(created.Id, created);
            _sessionsById.Add(created.Id, created);
            LastZxid++;
            Log($"session 0x{created.Id:x} created timeout={created.Timeout.TotalMilliseconds}ms");
            ScheduleExpiryCheck(created);
            return created;
        }

        if (_sessionsById.GetValueOrDefault(sessionId) is not { Alive: true } session)
        {
            Log($"session 0x{sessionId:x} refused: expired");
            return null;
        }

        if (session.Connection is { } old && !ReferenceEquals(old, connection))
        {
            DetachConnection(session);
            old.Close();
        }

        session.Connection = connection;
        session.Owner = owner;
        session.LastHeardTicks = _scheduler.NowTicks;
        Log($"session 0x{sessionId:x} reconnected");
        return session;
    }

    /// <summary>
    /// ZooKeeper's setWatches, sent by a reconnecting client after its connect request: fires the
    /// watches whose nodes changed since the client's last zxid and re-arms the rest.
    /// </summary>
    public void SetWatches(long sessionId, IServerConnection connection, WatchSet watches)
    {
        if (_sessionsById.GetValueOrDefault(sessionId) is { Alive: true } session && ReferenceEquals(session.Connection, connection))
        {
            Rearm(session, watches);
        }
    }

    /// <summary>The server received something from <paramref name="connection"/>: the session is alive.</summary>
    public void Heard(long sessionId, IServerConnection connection)
    {
        if (Up && _sessionsById.GetValueOrDefault(sessionId) is { Alive: true } session && ReferenceEquals(session.Connection, connection))
        {
            session.LastHeardTicks = _scheduler.NowTicks;
        }
    }

    /// <summary>True when a request of <paramref name="sessionId"/> that came through server <paramref name="owner"/> may run.</summary>
    public bool OwnedThrough(long sessionId, int owner) =>
        _sessionsById.GetValueOrDefault(sessionId) is not { Alive: true } session || session.Owner == owner;

    /// <summary>A follower relayed a touch of the session in its answer to the leader's ping: the session is alive.</summary>
    public void TouchFromFollower(long sessionId)
    {
        if (Up && _sessionsById.GetValueOrDefault(sessionId) is { Alive: true } session)
        {
            session.LastHeardTicks = _scheduler.NowTicks;
        }
    }

    /// <summary>
    /// Ends a session by decree, as kazoo's test harness does to simulate expiry: its ephemeral nodes go,
    /// and its connection is closed. The client learns of it only when it reads the close.
    /// </summary>
    public void ExpireSession(long sessionId, bool forced)
    {
        if (_sessionsById.GetValueOrDefault(sessionId) is not { Alive: true } session)
        {
            return;
        }

        session.ForcedExpiry = forced;
        EndSession(session, forced ? "expired by fault" : "expired");
    }

    /// <summary>The client closes its session: ephemeral nodes go at once.</summary>
    public ZooKeeperError CloseSession(long sessionId)
    {
        if (_sessionsById.GetValueOrDefault(sessionId) is not { Alive: true } session)
        {
            return ZooKeeperError.SessionExpired;
        }

        EndSession(session, "closed");
        return ZooKeeperError.Ok;
    }

    /// <summary>The server stops: every connection closes; sessions and nodes survive on disk.</summary>
    public void GoDown()
    {
        Up = false;
        Log($"server down");
        foreach (var session in _sessions.Values)
        {
            if (session.Connection is { } connection)
            {
                DetachConnection(session);
                connection.Drop();
            }
        }
    }

    /// <summary>The server is back; like ZooKeeper, it gives every live session a full timeout again.</summary>
    public void ComeUp()
    {
        Up = true;
        Log($"server up");
        foreach (var session in _sessions.Values.Where(s => s.Alive))
        {
            session.LastHeardTicks = _scheduler.NowTicks;
            ScheduleExpiryCheck(session);
        }
    }

    private TimeSpan Negotiate(TimeSpan requested) =>
        TimeSpan.FromTicks(Math.Clamp(requested.Ticks, 2 * TickTime.Ticks, 20 * TickTime.Ticks));

    private void ScheduleExpiryCheck(ServerSession session)
    {
        session.ExpiryCheck?.Cancel();
        session.ExpiryCheck = _scheduler.ScheduleAt(session.LastHeardTicks + TrueTimeoutTicks(session), () => CheckExpiry(session));
    }

    /// <summary>The true time the server's drifting clock takes to measure the session's timeout.</summary>
    private long TrueTimeoutTicks(ServerSession session) =>
        ClockDriftPpm == 0 ? session.Timeout.Ticks : (long)((Int128)session.Timeout.Ticks * 1_000_000 / (1_000_000 + ClockDriftPpm));

    private void CheckExpiry(ServerSession session)
    {
        session.ExpiryCheck = null;
        if (!Up || !session.Alive)
        {
            return;
        }

        // Checked lazily: hearing from the client only moves LastHeardTicks, and the check re-arms itself.
        if (_scheduler.NowTicks - session.LastHeardTicks >= TrueTimeoutTicks(session))
        {
            EndSession(session, "expired");
        }
        else
        {
            ScheduleExpiryCheck(session);
        }
    }

    private void EndSession(ServerSession session, string why)
    {
        session.Alive = false;
        session.ExpiryCheck?.Cancel();
        var zxid = ++LastZxid;
        Log($"session 0x{session.Id:x} {why} zxid={zxid}");
        var batch = BeginBatch(zxid);
        var ephemerals = session.Ephemerals.ToArray();
        Array.Sort(ephemerals, static (a, b) => string.CompareOrdinal(a.Path, b.Path));
        foreach (var node in ephemerals)
        {
            batch.Delete(node.Path);
        }

        CommitBatch(batch);
        var connection = session.Connection;
        DetachConnection(session);
        connection?.Close();
    }

    private static void DetachConnection(ServerSession session)
    {
        session.Connection = null;
        session.DataWatches.Clear();
        session.ChildWatches.Clear();
    }

    private void Rearm(ServerSession session, WatchSet watches)
    {
        // ZooKeeper's setWatches: fire what changed since the client's last zxid, re-arm the rest.
        foreach (var path in watches.DataWatches)
        {
            var node = Find(path);
            if (node is null)
            {
                Send(session, path, WatchEventKind.NodeDeleted);
            }
            else if (node.Mzxid > watches.RelativeZxid)
            {
                Send(session, path, WatchEventKind.NodeDataChanged);
            }
            else
            {
                session.DataWatches.Add(path);
            }
        }

        foreach (var path in watches.ExistWatches)
        {
            if (Find(path) is not null)
            {
                Send(session, path, WatchEventKind.NodeCreated);
            }
            else
            {
                session.DataWatches.Add(path);
            }
        }

        foreach (var path in watches.ChildWatches)
        {
            var node = Find(path);
            if (node is null)
            {
                Send(session, path, WatchEventKind.NodeDeleted);
            }
            else if (node.Pzxid > watches.RelativeZxid)
            {
                Send(session, path, WatchEventKind.NodeChildrenChanged);
            }
            else
            {
                session.ChildWatches.Add(path);
            }
        }
    }

    private static void Send(ServerSession session, string path, WatchEventKind kind) => session.Connection?.Notify(path, kind);

    private void Trigger(string path, WatchEventKind kind)
    {
        if (kind == WatchEventKind.NodeChildrenChanged)
        {
            ChangedParents?.Add(path);
            ChildrenChanged?.Invoke(path);
        }

        if (_dataWatchers.IsEmpty && _childWatchers.IsEmpty)
        {
            return;
        }

        bool data = kind is WatchEventKind.NodeCreated or WatchEventKind.NodeDataChanged or WatchEventKind.NodeDeleted;
        bool children = kind is WatchEventKind.NodeChildrenChanged or WatchEventKind.NodeDeleted;
        // Only the sessions that watch the path, found through the index, in session-id order as before.
        _notified.Clear();
        if (data)
        {
            _dataWatchers.CollectInto(path, _notified);
        }

        if (children)
        {
            _childWatchers.CollectInto(path, _notified);
        }

        if (_notified.Count == 0)
        {
            return;
        }

        foreach (var id in _notified.ToArray())
        {
            var session = _sessionsById[id];

            // One-shot: a watch is removed as it fires, and a session hears of one event once.
            bool hit = (data && session.DataWatches.Remove(path)) | (children && session.ChildWatches.Remove(path));
            if (hit)
            {
                Send(session, path, kind);
            }
        }
    }

    private void EnsureUp()
    {
        if (!Up)
        {
            throw new InvalidOperationException("the server is down: the network must not deliver to it");
        }
    }

    /// <summary>Traces "zk " and the line; the line is formatted only when someone listens.</summary>
    private void Log([InterpolatedStringHandlerArgument("")] ref TraceLine line)
    {
        if (Trace is { } trace)
        {
            trace(line.ToStringAndClear());
        }
    }

    /// <summary>The node that would be the parent of <paramref name="path"/> (a valid path), or null.</summary>
    private ZNode? ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        return _nodesBySpan.TryGetValue(slash <= 0 ? "/" : path.AsSpan(0, slash), out var parent) ? parent : null;
    }

    private static bool IsValidPath(string path) =>
        path.Length > 1 && path[0] == '/' && path[^1] != '/' && !path.Contains("//", StringComparison.Ordinal);

    private ImmutableArray<string> ShuffledChildren(ZNode node)
    {
        // ZooKeeper lists children from a hash set: the order is unspecified. Shuffling (from the seed)
        // keeps the code under test from relying on any order.
        var names = node.ChildNamesArray();
        for (int i = names.Length - 1; i > 0; i--)
        {
            int j = _random.Next(i + 1);
            (names[i], names[j]) = (names[j], names[i]);
        }

        // The array is new and not kept, so it becomes the result without a copy.
        return System.Runtime.InteropServices.ImmutableCollectionsMarshal.AsImmutableArray(names);
    }

    /// <summary>
    /// A trace line in the making: "zk " and the interpolated text in the invariant culture, or nothing at all when no
    /// trace listens, so that a model nobody traces (the benchmark's instant port) formats no line for each write.
    /// </summary>
    [InterpolatedStringHandler]
    private ref struct TraceLine
    {
        private DefaultInterpolatedStringHandler _text;

        public TraceLine(int literalLength, int formattedCount, InMemoryZooKeeper server, out bool listened)
        {
            listened = server.Trace is not null;
            if (listened)
            {
                _text = new DefaultInterpolatedStringHandler(literalLength + 3, formattedCount, CultureInfo.InvariantCulture);
                _text.AppendLiteral("zk ");
            }
        }

        public void AppendLiteral(string value) => _text.AppendLiteral(value);

        public void AppendFormatted<T>(T value) => _text.AppendFormatted(value);

        public void AppendFormatted<T>(T value, string? format) => _text.AppendFormatted(value, format);

        public string ToStringAndClear() => _text.ToStringAndClear();
    }
}
