using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

/// <summary>
/// A tiny ZooKeeper for the shell's end-to-end tests: one tree shared by several sessions, each answering
/// at once on the caller's thread. Just enough of ZooKeeper's semantics for Core's recipe: persistent,
/// ephemeral and sequential nodes, one-shot child and exists watches (fired before the write's answer),
/// atomic multi, multiRead, and expiry that removes a session's ephemeral nodes.
/// </summary>
/// <remarks>
/// Every request holds <see cref="Gate"/> while it runs, watch callbacks included: the awaited APIs continue
/// on the thread pool, so two members may call in at once. The lock is re-entrant, and a member's mailbox
/// never blocks, so a callback that makes another member write cannot deadlock.
/// </remarks>
internal sealed class ZooKeeperTree
{
    public object Gate { get; } = new();

    private readonly SortedDictionary<string, TreeNode> _nodes = new(StringComparer.Ordinal) { ["/"] = new TreeNode(0, 0) };
    private readonly List<(string Path, bool Children, Action<WatchEventKind> Callback)> _watches = [];

    private long _lastZxid;

    public bool Exists(string path) => _nodes.ContainsKey(path);

    /// <summary>The creation zxid of the node at <paramref name="path"/>, or null when there is none.</summary>
    public long? CreatedZxidOf(string path) => _nodes.TryGetValue(path, out var node) ? node.Czxid : null;

    public string[] ChildrenOf(string path) =>
        _nodes.Keys.Where(p => Parent(p) == path && p != "/").Select(Name).ToArray();

    public IEnumerable<string> EphemeralsOf(long session) => _nodes.Where(n => n.Value.Owner == session).Select(n => n.Key);

    public void Watch(string path, bool children, Action<WatchEventKind> callback) => _watches.Add((path, children, callback));

    /// <summary>Applies every op or none: the per-op codes as ZooKeeper reports a multi.</summary>
    public ImmutableArray<WriteResult> Apply(long session, ImmutableArray<WriteOp> ops, out ZooKeeperError error)
    {
        var fired = new List<(string Path, WatchEventKind Kind, bool Children)>();
        var undo = new SortedDictionary<string, TreeNode>(_nodes, StringComparer.Ordinal);
        var results = ImmutableArray.CreateBuilder<WriteResult>();
        error = ZooKeeperError.Ok;
        long zxid = ++_lastZxid;
        foreach (var op in ops)
        {
            var (code, created) = error == ZooKeeperError.Ok ? ApplyOne(session, zxid, op, fired) : (ZooKeeperError.RuntimeInconsistency, null);
            if (code != ZooKeeperError.Ok && error == ZooKeeperError.Ok)
            {
                error = code;
            }

            results.Add(new WriteResult(code, created));
        }

        if (error != ZooKeeperError.Ok)
        {
            _nodes.Clear();
            foreach (var (path, node) in undo)
            {
                _nodes[path] = node;
            }

            var failing = results.ToImmutable();
            return [.. failing.Select(r => r.Error == ZooKeeperError.Ok ? new WriteResult(ZooKeeperError.Ok, null) : r)];
        }

        Notify(fired);
        return results.ToImmutable();
    }

    public void Expire(long session)
    {
        var fired = new List<(string Path, WatchEventKind Kind, bool Children)>();
        foreach (var path in EphemeralsOf(session).ToList())
        {
            _nodes.Remove(path);
            fired.Add((path, WatchEventKind.NodeDeleted, false));
            fired.Add((Parent(path), WatchEventKind.NodeChildrenChanged, true));
        }

        Notify(fired);
    }

    private (ZooKeeperError, string?) ApplyOne(long session, long zxid, WriteOp op, List<(string, WatchEventKind, bool)> fired)
    {
        var parent = Parent(op.Path);
        switch (op)
        {
            case CreateOp when !_nodes.ContainsKey(parent):
                return (ZooKeeperError.NoNode, null);
            case CreateOp create:
                var parentOf = _nodes[parent];
                var path = create.Kind == NodeKind.EphemeralSequential ? $"{create.Path}{parentOf.NextSequence++:D10}" : create.Path;
                if (_nodes.ContainsKey(path))
                {
                    return (ZooKeeperError.NodeExists, null);
                }

                _nodes[path] = new TreeNode(create.Kind == NodeKind.Persistent ? 0 : session, zxid);
                fired.Add((path, WatchEventKind.NodeCreated, false));
                fired.Add((parent, WatchEventKind.NodeChildrenChanged, true));
                return (ZooKeeperError.Ok, path);
            case DeleteOp delete when !_nodes.ContainsKey(delete.Path):
                return (ZooKeeperError.NoNode, null);
            case DeleteOp delete when ChildrenOf(delete.Path).Length > 0:
                return (ZooKeeperError.NotEmpty, null);
            default:
                _nodes.Remove(op.Path);
                fired.Add((op.Path, WatchEventKind.NodeDeleted, false));
                fired.Add((parent, WatchEventKind.NodeChildrenChanged, true));
                return (ZooKeeperError.Ok, null);
        }
    }

    private void Notify(List<(string Path, WatchEventKind Kind, bool Children)> fired)
    {
        foreach (var (path, kind, children) in fired)
        {
            // A children watch also fires when its node is deleted.
            var due = _watches.Where(w => w.Path == path && (w.Children == children || (w.Children && kind == WatchEventKind.NodeDeleted))).ToList();
            _watches.RemoveAll(due.Contains);
            foreach (var watch in due)
            {
                watch.Callback(kind);
            }
        }
    }

    private static string Parent(string path) => path.LastIndexOf('/') is var i && i <= 0 ? "/" : path[..i];

    private static string Name(string path) => path[(path.LastIndexOf('/') + 1)..];

    private sealed class TreeNode(long owner, long czxid)
    {
        public long Owner { get; } = owner;

        public long Czxid { get; } = czxid;

        public int NextSequence { get; set; }
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

    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl) => Run(() =>
    {
        var results = Write([new CreateOp(path, [.. data.Span], kind, acl)], out var error);
        return new CreateOutcome(error, error == ZooKeeperError.Ok ? results[0].CreatedPath : null);
    });

    public Task<ZooKeeperError> DeleteAsync(string path) => Run(() =>
    {
        Write([new DeleteOp(path)], out var error);
        return error;
    });

    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch) => Run(() =>
    {
        if (_expired || !tree.Exists(path))
        {
            return new ChildrenOutcome(_expired ? ZooKeeperError.SessionExpired : ZooKeeperError.NoNode, []);
        }

        if (watch is not null)
        {
            tree.Watch(path, children: true, watch);
        }

        return new ChildrenOutcome(ZooKeeperError.Ok, [.. tree.ChildrenOf(path)]);
    });

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) => Run(() =>
    {
        if (_expired)
        {
            return ZooKeeperError.SessionExpired;
        }

        if (watch is not null)
        {
            tree.Watch(path, children: false, watch);
        }

        return tree.Exists(path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode;
    });

    public Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops) => Run(() =>
    {
        var results = Write(ops, out var error);
        return new MultiOutcome(error, results);
    });

    public Task<ZooKeeperError> SyncAsync(string path) => Run(() => _expired ? ZooKeeperError.SessionExpired : ZooKeeperError.Ok);

    public Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths) => Run(() => _expired
        ? new MultiReadOutcome(ZooKeeperError.SessionExpired, [])
        : new MultiReadOutcome(ZooKeeperError.Ok, [.. paths.Select(p => tree.Exists(p)
            ? new ChildrenResult(ZooKeeperError.Ok, [.. tree.ChildrenOf(p)])
            : new ChildrenResult(ZooKeeperError.NoNode, []))]));

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) => Run(() => _expired
        ? new MultiStatOutcome(ZooKeeperError.SessionExpired, [])
        : new MultiStatOutcome(ZooKeeperError.Ok, [.. paths.Select(p => tree.CreatedZxidOf(p) is { } zxid
            ? new StatResult(ZooKeeperError.Ok, zxid)
            : new StatResult(ZooKeeperError.NoNode, 0))]));

    private Task<T> Run<T>(Func<T> request)
    {
        lock (tree.Gate)
        {
            return Task.FromResult(request());
        }
    }

    private ImmutableArray<WriteResult> Write(ImmutableArray<WriteOp> ops, out ZooKeeperError error)
    {
        if (_expired)
        {
            error = ZooKeeperError.SessionExpired;
            return [];
        }

        return tree.Apply(Session, ops, out error);
    }
}
