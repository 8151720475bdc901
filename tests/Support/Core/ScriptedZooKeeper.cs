using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Tests.Support.Core;

/// <summary>
/// The simulator's in-memory ZooKeeper (<see cref="InMemoryZooKeeper"/>) behind Core's commands, with scripted
/// faults: the same znode tree, ephemeral and sequential nodes, one-shot watches, atomic multi and multiRead as every
/// simulated run, without its network or scheduler. Each session's results and notifications go to its inbox in the
/// order ZooKeeper would deliver them (a notification before the result of the write that caused it).
/// </summary>
internal sealed class ScriptedZooKeeper
{
    private static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(10);

    private readonly InMemoryZooKeeper _server = new(new SimScheduler(), new SimRandom(1), tickTime: TimeSpan.FromSeconds(1));
    private readonly Dictionary<long, Session> _sessions = [];
    private readonly Dictionary<long, Queue<Event>> _inboxes = [];
    private readonly HashSet<long> _disconnected = [];
    private readonly List<Fault> _faults = [];

    /// <summary>
    /// When true, a create inside a multi comes back with its creation zxid, as a create2 result would; ZooKeeper 3.8
    /// answers it with the path only (the default here too), and Core then reads the node's stat.
    /// </summary>
    public bool StatsInMultiResults { get; set; }

    /// <summary>The creation zxid of the node at <paramref name="path"/>.</summary>
    public long CreatedZxidOf(string path) => _server.Find(path)?.Czxid ?? throw new KeyNotFoundException(path);

    /// <summary>Every command executed, per session, in order.</summary>
    public List<(long Session, Command Command)> Log { get; } = [];

    /// <summary>True for a multi of lock node creates only (not the folder-and-lock multi of a new folder).</summary>
    public static bool IsLockCreate(Command command) =>
        command is Multi m && m.Ops.All(op => op is CreateOp { Kind: NodeKind.EphemeralSequential });

    /// <summary>True for a read of lock folders sent after a lock create (not the read of a batch whose folders existed).</summary>
    public bool IsLockRead(Command command) =>
        command is MultiGetChildren && Log.Any(entry => IsLockCreate(entry.Command));

    public Queue<Event> Inbox(long session)
    {
        if (!_inboxes.TryGetValue(session, out var inbox))
        {
            inbox = new Queue<Event>();
            _inboxes[session] = inbox;
        }

        return inbox;
    }

    public bool Exists(string path) => _server.Find(path) is not null;

    /// <summary>The children's names in code-point order, or none when the node does not exist.</summary>
    public ImmutableArray<string> ChildrenOf(string path) => _server.Find(path) is { } node ? [.. node.ChildNames] : [];

    /// <summary>Creates a node as another client would (for example a peer's lock node or a Python member).</summary>
    public string CreateAs(long session, string path, NodeKind kind) => CreateAs(session, path, kind, []);

    /// <summary>As <see cref="CreateAs(long, string, NodeKind)"/>, with <paramref name="data"/> (a party node's, say).</summary>
    public string CreateAs(long session, string path, NodeKind kind, ImmutableArray<byte> data) =>
        Apply(session, [new CreateOp(path, data, kind, PartyAcl.OpenUnsafe.Node)], out _).Single().CreatedPath!;

    /// <summary>The data of the node at <paramref name="path"/>.</summary>
    public byte[] DataOf(string path) => _server.Find(path) is { } node ? node.Data.ToArray() : throw new KeyNotFoundException(path);

    public void DeleteAs(long session, string path) => Apply(session, [new DeleteOp(path)], out _);

    /// <summary>The next command for which <paramref name="match"/> holds fails with <paramref name="error"/>; applied first when <paramref name="applied"/>.</summary>
    public void FailNext(Func<Command, bool> match, ZooKeeperError error, bool applied = false) =>
        _faults.Add(new Fault(match, error, applied));

    /// <summary>The session's connection is down: its commands fail with ConnectionLoss and are not applied.</summary>
    public void Disconnect(long session) => _disconnected.Add(session);

    public void Reconnect(long session) => _disconnected.Remove(session);

    /// <summary>
    /// Ends a session: its ephemeral nodes go, firing watches, and its watches with it. The session number then stands
    /// for a new session on the server, so that a test may go on using it.
    /// </summary>
    public void Expire(long session)
    {
        var ended = SessionOf(session);
        _server.ExpireSession(ended.Id, forced: false);
        ended.Watches.Clear();
        _sessions.Remove(session);
    }

    public void Execute(long session, ZooKeeperCommand command)
    {
        Log.Add((session, command));
        var inbox = Inbox(session);
        int fault = _faults.FindIndex(f => f.Match(command));
        if (_disconnected.Contains(session))
        {
            inbox.Enqueue(Failed(command, ZooKeeperError.ConnectionLoss));
            return;
        }

        if (fault >= 0)
        {
            var f = _faults[fault];
            _faults.RemoveAt(fault);
            if (f.Applied)
            {
                _ = Run(session, command);
            }

            inbox.Enqueue(Failed(command, f.Error));
            return;
        }

        inbox.Enqueue(Run(session, command));
    }

    private OperationCompleted Run(long session, ZooKeeperCommand command)
    {
        switch (command)
        {
            case CreateNode create:
                var created = Apply(session, [new CreateOp(create.Path, create.Data, create.Kind, create.Acl)], out var error);
                return new CreateCompleted(create.OpId, error, created[0].CreatedPath);
            case DeleteNode delete:
                Apply(session, [new DeleteOp(delete.Path)], out var deleteError);
                return new DeleteCompleted(delete.OpId, deleteError);
            case GetChildren get:
                var read = Read(get.Path);
                if (get.Watch && read.Error == ZooKeeperError.Ok)
                {
                    SessionOf(session).Watch(get.Path, children: true, get.OpId);
                }

                return new ChildrenCompleted(get.OpId, read.Error, read.Children);
            case Partitioner.Core.Exists exists:
                if (exists.Watch)
                {
                    SessionOf(session).Watch(exists.Path, children: false, exists.OpId);
                }

                return new ExistsCompleted(exists.OpId, Exists(exists.Path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode);
            case Multi multi:
                var results = Apply(session, multi.Ops, out var multiError);
                return new MultiCompleted(multi.OpId, multiError, results);
            case MultiGetChildren reads:
                return new MultiReadCompleted(reads.OpId, ZooKeeperError.Ok, [.. reads.Paths.Select(Read)]);
            case MultiGetStat stats:
                return new StatsCompleted(stats.OpId, ZooKeeperError.Ok, [.. stats.Paths.Select(p => _server.Find(p) is { } node
                    ? new StatResult(ZooKeeperError.Ok, node.Czxid)
                    : new StatResult(ZooKeeperError.NoNode, 0))]);
            case MultiGetData data:
                return new DataCompleted(data.OpId, ZooKeeperError.Ok, [.. data.Paths.Select(p => _server.Find(p) is { } node
                    ? new DataResult(ZooKeeperError.Ok, [.. node.Data])
                    : new DataResult(ZooKeeperError.NoNode, []))]);
            default:
                throw new ArgumentException($"Unknown command {command}", nameof(command));
        }
    }

    private ChildrenResult Read(string path) =>
        Exists(path) ? new ChildrenResult(ZooKeeperError.Ok, ChildrenOf(path)) : new ChildrenResult(ZooKeeperError.NoNode, []);

    /// <summary>Applies the ops atomically: all or none, with per-op results as ZooKeeper reports them.</summary>
    private ImmutableArray<WriteResult> Apply(long session, ImmutableArray<WriteOp> ops, out ZooKeeperError error)
    {
        var (code, results) = _server.Multi(SessionOf(session).Id, ops);
        error = code;
        long zxid = _server.LastZxid;
        return StatsInMultiResults && code == ZooKeeperError.Ok ? [.. results.Select(r => r.CreatedPath is not null ? r with { CreatedZxid = zxid } : r)] : results;
    }

    /// <summary>The server's session for a test's session number, created when first used.</summary>
    private Session SessionOf(long session)
    {
        if (!_sessions.TryGetValue(session, out var found))
        {
            found = new Session(this, session);
            found.Id = _server.Connect(0, SessionTimeout, found)!.Id;
            _sessions.Add(session, found);
        }

        return found;
    }

    private static OperationCompleted Failed(ZooKeeperCommand command, ZooKeeperError error) => command switch
    {
        CreateNode c => new CreateCompleted(c.OpId, error, null),
        DeleteNode d => new DeleteCompleted(d.OpId, error),
        GetChildren g => new ChildrenCompleted(g.OpId, error, []),
        Partitioner.Core.Exists e => new ExistsCompleted(e.OpId, error),
        Multi m => new MultiCompleted(m.OpId, error, []),
        MultiGetChildren r => new MultiReadCompleted(r.OpId, error, []),
        MultiGetStat s => new StatsCompleted(s.OpId, error, []),
        MultiGetData d => new DataCompleted(d.OpId, error, []),
        _ => throw new ArgumentException($"Unknown command {command}", nameof(command)),
    };

    private sealed record Fault(Func<Command, bool> Match, ZooKeeperError Error, bool Applied);

    /// <summary>A test's session on the server: its connection, which puts the watches it fires in the session's inbox.</summary>
    private sealed class Session(ScriptedZooKeeper zooKeeper, long number) : IServerConnection
    {
        public long Id { get; set; }

        public List<(string Path, bool Children, long OpId)> Watches { get; } = [];

        public void Watch(string path, bool children, long opId)
        {
            Watches.Add((path, children, opId));
            if (children)
            {
                zooKeeper._server.GetChildren(Id, path, watch: true);
            }
            else
            {
                zooKeeper._server.Exists(Id, path, watch: true);
            }
        }

        public void Notify(string path, WatchEventKind kind)
        {
            // Data and exists watches first, then children watches, each once, in the order they were left.
            bool children = kind is WatchEventKind.NodeChildrenChanged or WatchEventKind.NodeDeleted;
            Fire(w => !w.Children && w.Path == path && kind is not WatchEventKind.NodeChildrenChanged, kind);
            Fire(w => w.Children && w.Path == path && children, kind);
        }

        public void Close()
        {
        }

        public void Drop()
        {
        }

        private void Fire(Func<(string Path, bool Children, long OpId), bool> match, WatchEventKind kind)
        {
            foreach (var watch in Watches.Where(match).ToList())
            {
                Watches.Remove(watch);
                zooKeeper.Inbox(number).Enqueue(new WatchFired(watch.OpId, watch.Path, kind));
            }
        }
    }
}
