using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.Tests.Support.Core;

/// <summary>
/// A tiny in-test ZooKeeper: a znode tree with ephemeral and sequential nodes, one-shot children and exists
/// watches, atomic multi, multiRead, and scripted faults. Each session's results and notifications go to
/// its inbox in the order ZooKeeper would deliver them (a notification before the result of the write that
/// caused it). It exists to drive Core in tests; the simulator has the real model.
/// </summary>
internal sealed class ScriptedZooKeeper
{
    private readonly SortedDictionary<string, Znode> nodes = new(StringComparer.Ordinal) { ["/"] = new Znode(null, 0) };
    private readonly List<Watch> watches = [];
    private readonly Dictionary<long, Queue<Event>> inboxes = [];
    private readonly HashSet<long> disconnected = [];
    private readonly List<Fault> faults = [];

    private long lastZxid;

    /// <summary>
    /// When true, a create inside a multi comes back with its creation zxid, as a create2 result would; ZooKeeper 3.8
    /// answers it with the path only (the default here too), and Core then reads the node's stat.
    /// </summary>
    public bool StatsInMultiResults { get; set; }

    /// <summary>The creation zxid of the node at <paramref name="path"/>.</summary>
    public long CreatedZxidOf(string path) => nodes[path].Czxid;

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
        if (!inboxes.TryGetValue(session, out var inbox))
        {
            inbox = new Queue<Event>();
            inboxes[session] = inbox;
        }

        return inbox;
    }

    public bool Exists(string path) => nodes.ContainsKey(path);

    public ImmutableArray<string> ChildrenOf(string path) =>
        [.. nodes.Keys.Where(p => Parent(p) == path && p != "/").Select(ZnodePaths.NameOf)];

    /// <summary>Creates a node as another client would (for example a peer's lock node or a Python member).</summary>
    public string CreateAs(long session, string path, NodeKind kind) =>
        Apply(session, [new CreateOp(path, [], kind, PartyAcl.OpenUnsafe.Node)], out _).Single().CreatedPath!;

    public void DeleteAs(long session, string path) => Apply(session, [new DeleteOp(path)], out _);

    /// <summary>The next command for which <paramref name="match"/> holds fails with <paramref name="error"/>; applied first when <paramref name="applied"/>.</summary>
    public void FailNext(Func<Command, bool> match, ZooKeeperError error, bool applied = false) =>
        faults.Add(new Fault(match, error, applied));

    /// <summary>The session's connection is down: its commands fail with ConnectionLoss and are not applied.</summary>
    public void Disconnect(long session) => disconnected.Add(session);

    public void Reconnect(long session) => disconnected.Remove(session);

    /// <summary>Ends a session: its ephemeral nodes go, firing watches.</summary>
    public void Expire(long session)
    {
        foreach (string path in nodes.Where(n => n.Value.Owner == session).Select(n => n.Key).ToList())
        {
            Apply(session, [new DeleteOp(path)], out _);
        }

        watches.RemoveAll(w => w.Session == session);
    }

    public void Execute(long session, ZooKeeperCommand command)
    {
        Log.Add((session, command));
        var inbox = Inbox(session);
        int fault = faults.FindIndex(f => f.Match(command));
        if (disconnected.Contains(session))
        {
            inbox.Enqueue(Failed(command, ZooKeeperError.ConnectionLoss));
            return;
        }

        if (fault >= 0)
        {
            var f = faults[fault];
            faults.RemoveAt(fault);
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
                    watches.Add(new Watch(session, get.Path, Children: true, get.OpId));
                }

                return new ChildrenCompleted(get.OpId, read.Error, read.Children);
            case Partitioner.Core.Exists exists:
                if (exists.Watch)
                {
                    watches.Add(new Watch(session, exists.Path, Children: false, exists.OpId));
                }

                return new ExistsCompleted(exists.OpId, nodes.ContainsKey(exists.Path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode);
            case Multi multi:
                var results = Apply(session, multi.Ops, out var multiError);
                return new MultiCompleted(multi.OpId, multiError, results);
            case MultiGetChildren reads:
                return new MultiReadCompleted(reads.OpId, ZooKeeperError.Ok, [.. reads.Paths.Select(Read)]);
            case MultiGetStat stats:
                return new StatsCompleted(stats.OpId, ZooKeeperError.Ok, [.. stats.Paths.Select(p => nodes.TryGetValue(p, out var node)
                    ? new StatResult(ZooKeeperError.Ok, node.Czxid)
                    : new StatResult(ZooKeeperError.NoNode, 0))]);
            default:
                throw new ArgumentException($"Unknown command {command}", nameof(command));
        }
    }

    private ChildrenResult Read(string path) =>
        nodes.ContainsKey(path) ? new ChildrenResult(ZooKeeperError.Ok, ChildrenOf(path)) : new ChildrenResult(ZooKeeperError.NoNode, []);

    /// <summary>Applies the ops atomically: all or none, with per-op results as ZooKeeper reports them.</summary>
    private ImmutableArray<WriteResult> Apply(long session, ImmutableArray<WriteOp> ops, out ZooKeeperError error)
    {
        var trial = new SortedDictionary<string, Znode>(nodes.ToDictionary(n => n.Key, n => n.Value with { }), StringComparer.Ordinal);
        var results = new List<WriteResult>();
        var changes = new List<(string Path, WatchEventKind Kind)>();
        long zxid = ++lastZxid;
        foreach (var op in ops)
        {
            var (result, change) = ApplyOne(trial, session, zxid, op);
            results.Add(result);
            if (result.Error != ZooKeeperError.Ok)
            {
                error = result.Error;
                return [.. results.Select(_ => new WriteResult(ZooKeeperError.Ok, null)).SkipLast(1), new WriteResult(error, null),
                    .. ops.Skip(results.Count).Select(_ => new WriteResult(ZooKeeperError.RuntimeInconsistency, null))];
            }

            changes.Add(change);
        }

        nodes.Clear();
        foreach (var node in trial)
        {
            nodes[node.Key] = node.Value;
        }

        foreach (var (path, kind) in changes)
        {
            Notify(path, kind);
        }

        error = ZooKeeperError.Ok;
        return StatsInMultiResults ? [.. results.Select(r => r.CreatedPath is not null ? r with { CreatedZxid = zxid } : r)] : [.. results];
    }

    private static (WriteResult, (string, WatchEventKind)) ApplyOne(SortedDictionary<string, Znode> tree, long session, long zxid, WriteOp op)
    {
        string parent = Parent(op.Path);
        switch (op)
        {
            case CreateOp create:
                if (!tree.TryGetValue(parent, out var parentNode))
                {
                    return (new WriteResult(ZooKeeperError.NoNode, null), default);
                }

                if (parentNode.Owner is not null)
                {
                    return (new WriteResult(ZooKeeperError.NoChildrenForEphemerals, null), default);
                }

                string path = create.Path;
                if (create.Kind == NodeKind.EphemeralSequential)
                {
                    path += parentNode.NextSequence.ToString("D10", System.Globalization.CultureInfo.InvariantCulture);
                }

                parentNode.NextSequence++;
                if (tree.ContainsKey(path))
                {
                    return (new WriteResult(ZooKeeperError.NodeExists, null), default);
                }

                tree[path] = new Znode(create.Kind == NodeKind.Persistent ? null : session, zxid);
                return (new WriteResult(ZooKeeperError.Ok, path), (path, WatchEventKind.NodeCreated));
            case DeleteOp delete:
                if (!tree.ContainsKey(delete.Path))
                {
                    return (new WriteResult(ZooKeeperError.NoNode, null), default);
                }

                if (tree.Keys.Any(p => Parent(p) == delete.Path && p != "/"))
                {
                    return (new WriteResult(ZooKeeperError.NotEmpty, null), default);
                }

                tree.Remove(delete.Path);
                return (new WriteResult(ZooKeeperError.Ok, null), (delete.Path, WatchEventKind.NodeDeleted));
            default:
                throw new ArgumentException($"Unknown op {op}", nameof(op));
        }
    }

    private void Notify(string path, WatchEventKind kind)
    {
        Fire(w => !w.Children && w.Path == path, kind);
        Fire(w => w.Children && w.Path == path && kind == WatchEventKind.NodeDeleted, kind);
        Fire(w => w.Children && w.Path == Parent(path), WatchEventKind.NodeChildrenChanged);
    }

    private void Fire(Predicate<Watch> match, WatchEventKind kind)
    {
        foreach (var watch in watches.Where(w => match(w)).ToList())
        {
            watches.Remove(watch);
            Inbox(watch.Session).Enqueue(new WatchFired(watch.OpId, watch.Path, kind));
        }
    }

    private static string Parent(string path)
    {
        int slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
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
        _ => throw new ArgumentException($"Unknown command {command}", nameof(command)),
    };

    private sealed record Znode(long? Owner, long Czxid)
    {
        public int NextSequence { get; set; }
    }

    private sealed record Watch(long Session, string Path, bool Children, long OpId);

    private sealed record Fault(Func<Command, bool> Match, ZooKeeperError Error, bool Applied);
}
