using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

/// <summary>
/// The simulator's in-memory ZooKeeper (<see cref="InMemoryZooKeeper"/>) for the shell's end-to-end tests, one tree
/// shared by several sessions, each answering at once on the caller's thread: the same sequential names, ephemerals,
/// atomic multi and per-op results as every simulated run, without the simulator's network or scheduler (its
/// clock never moves, so no session expires by itself; a test expires one with <see cref="Expire"/>). Watch
/// callbacks run inside the write that fires them, before its answer, in the order the model fires them.
/// </summary>
/// <remarks>
/// Every request holds <see cref="Gate"/> while it runs, watch callbacks included: the awaited APIs continue
/// on the thread pool, so two members may call in at once. The lock is re-entrant, and a member's mailbox
/// never blocks, so a callback that makes another member write cannot deadlock.
/// </remarks>
internal sealed class ZooKeeperTree
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(9);

    private readonly InMemoryZooKeeper _server = new(new SimScheduler(), new SimRandom(1), tickTime: TimeSpan.FromSeconds(1));
    private readonly Dictionary<long, long> _serverSessions = [];
    private readonly List<(string Path, bool Children, Action<WatchEventKind> Callback)> _watches = [];

    // The watches are left by one session of the model's own, whose notifications go to the callbacks: a test's
    // port hands its callbacks over without saying which session they belong to.
    private readonly long _watcher;

    public ZooKeeperTree() => _watcher = _server.Connect(0, SessionTimeout, new Callbacks(this))!.Id;

    public object Gate { get; } = new();

    public bool Exists(string path) => _server.Find(path) is not null;

    /// <summary>The creation zxid of the node at <paramref name="path"/>, or null when there is none.</summary>
    public long? CreatedZxidOf(string path) => _server.Find(path)?.Czxid;

    public byte[]? DataOf(string path) => _server.Find(path)?.Data.ToArray();

    /// <summary>The children's names in code-point order, or none when the node does not exist.</summary>
    public string[] ChildrenOf(string path) => _server.Find(path) is { } node ? [.. node.ChildNames] : [];

    public void Watch(string path, bool children, Action<WatchEventKind> callback)
    {
        _watches.Add((path, children, callback));
        if (children)
        {
            _server.GetChildren(_watcher, path, watch: true);
        }
        else
        {
            _server.Exists(_watcher, path, watch: true);
        }
    }

    /// <summary>Applies every op or none: the per-op codes as ZooKeeper reports a multi.</summary>
    public ImmutableArray<WriteResult> Apply(long session, ImmutableArray<WriteOp> ops, out ZooKeeperError error)
    {
        var (code, results) = _server.Multi(ServerSession(session), ops);
        error = code;
        return results;
    }

    /// <summary>Ends the session as the server does when its timeout passes: its ephemeral nodes go.</summary>
    public void Expire(long session) => _server.ExpireSession(ServerSession(session), forced: false);

    /// <summary>The model's session for a test's session number, created at its first write.</summary>
    private long ServerSession(long session)
    {
        if (!_serverSessions.TryGetValue(session, out var id))
        {
            id = _server.Connect(0, SessionTimeout, new Callbacks(null))!.Id;
            _serverSessions.Add(session, id);
        }

        return id;
    }

    private void Fire(string path, WatchEventKind kind)
    {
        // A data or exists watch fires on its node's creation, change or deletion, a children watch on a change of
        // its children or its node's deletion; each once.
        bool data = kind is not WatchEventKind.NodeChildrenChanged;
        bool children = kind is WatchEventKind.NodeChildrenChanged or WatchEventKind.NodeDeleted;
        var due = _watches.Where(w => w.Path == path && (w.Children ? children : data)).ToList();
        _watches.RemoveAll(due.Contains);
        foreach (var watch in due)
        {
            watch.Callback(kind);
        }
    }

    /// <summary>A session's connection: the watcher's passes its notifications to the callbacks, a member's has none.</summary>
    private sealed class Callbacks(ZooKeeperTree? tree) : IServerConnection
    {
        public void Notify(string path, WatchEventKind kind) => tree?.Fire(path, kind);

        public void Close()
        {
        }

        public void Drop()
        {
        }
    }
}

/// <summary>One session on a <see cref="ZooKeeperTree"/>, behind the shell's port.</summary>
internal sealed class TreePort(ZooKeeperTree tree, long session, TimeProvider time) : IZooKeeperPort
{
    private bool _expired;

    public TimeSpan SessionTimeout { get; } = TimeSpan.FromSeconds(9);

    /// <summary>Always fresh: this server answers at once, so the member has just heard from it.</summary>
    public long LastConfirmedTimestamp => time.GetTimestamp();

    public long? AcceptedConnectTimestamp => time.GetTimestamp();

    public event Action<SessionChange>? SessionChanged;

    public long Session { get; } = session;

    public void Expire()
    {
        lock (tree.Gate)
        {
            _expired = true;
            tree.Expire(Session);
        }

        SessionChanged?.Invoke(SessionChange.Expired);
    }

    /// <summary>Tells the member its connection was lost (the session lives on: requests are still answered).</summary>
    public void Suspend() => SessionChanged?.Invoke(SessionChange.Suspended);

    /// <summary>Tells the member its connection is back, on the same session.</summary>
    public void Reconnect() => SessionChanged?.Invoke(SessionChange.Reconnected);

    public PortCallbacks Callbacks => PortCallbacks.DecideInline;

    /// <summary>Answers at once, on the caller's thread, after the request has run under the tree's gate.</summary>
    public void Send(ZooKeeperCommand request, IRequestSink sink)
    {
        OperationCompleted answer;
        lock (tree.Gate)
        {
            answer = Answer(request, sink);
        }

        sink.Complete(answer);
    }

    public void Sync(string path, Action<ZooKeeperError> answered) => answered(_expired ? ZooKeeperError.SessionExpired : ZooKeeperError.Ok);

    private OperationCompleted Answer(ZooKeeperCommand request, IRequestSink sink)
    {
        var id = request.OpId;
        if (_expired)
        {
            return FailedAnswer.For(request, ZooKeeperError.SessionExpired);
        }

        switch (request)
        {
            case CreateNode c:
            {
                var results = tree.Apply(Session, [new CreateOp(c.Path, c.Data.IsDefault ? [] : c.Data, c.Kind, c.Acl)], out var error);
                return new CreateCompleted(id, error, error == ZooKeeperError.Ok ? results[0].CreatedPath : null);
            }

            case DeleteNode c:
                tree.Apply(Session, [new DeleteOp(c.Path)], out var deleted);
                return new DeleteCompleted(id, deleted);
            case GetChildren c:
                if (!tree.Exists(c.Path))
                {
                    return new ChildrenCompleted(id, ZooKeeperError.NoNode, []);
                }

                if (c.Watch)
                {
                    tree.Watch(c.Path, children: true, kind => sink.Notify(new WatchFired(id, c.Path, kind)));
                }

                return new ChildrenCompleted(id, ZooKeeperError.Ok, [.. tree.ChildrenOf(c.Path)]);
            case Exists c:
                if (c.Watch)
                {
                    tree.Watch(c.Path, children: false, kind => sink.Notify(new WatchFired(id, c.Path, kind)));
                }

                return new ExistsCompleted(id, tree.Exists(c.Path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode);
            case Multi c:
            {
                var results = tree.Apply(Session, c.Ops, out var error);
                return new MultiCompleted(id, error, results);
            }

            case MultiGetChildren c:
                return new MultiReadCompleted(id, ZooKeeperError.Ok, [.. c.Paths.Select(p => tree.Exists(p)
                    ? new ChildrenResult(ZooKeeperError.Ok, [.. tree.ChildrenOf(p)])
                    : new ChildrenResult(ZooKeeperError.NoNode, []))]);
            case MultiGetStat c:
                return new StatsCompleted(id, ZooKeeperError.Ok, [.. c.Paths.Select(p => tree.CreatedZxidOf(p) is { } zxid
                    ? new StatResult(ZooKeeperError.Ok, zxid)
                    : new StatResult(ZooKeeperError.NoNode, 0))]);
            case MultiGetData c:
                return new DataCompleted(id, ZooKeeperError.Ok, [.. c.Paths.Select(p => tree.DataOf(p) is { } data
                    ? new DataResult(ZooKeeperError.Ok, [.. data])
                    : new DataResult(ZooKeeperError.NoNode, []))]);
            default:
                throw new ArgumentException($"The request {request} is not one the tree port knows.", nameof(request));
        }
    }
}
