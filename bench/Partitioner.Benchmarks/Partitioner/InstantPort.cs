using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// A ZooKeeper tree in memory that answers every request at once, on the caller's thread. Timing a member over it
/// gives the CPU cost of Core and the shell alone, with no wire, no server and no waiting: the part of an
/// allocation that is ours to make faster. Only for one member: it never fires watches, since in a party of
/// one nothing changes that the member did not do itself.
/// </summary>
internal sealed class InstantPort : IZooKeeperPort
{
    // One entry per node, found by path; a parent is found by a span of its child's path, so a create makes no
    // substring for it. The port is the benchmark's stand-in for the server: it should cost as little as it can.
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal) { ["/"] = new Node(0) };
    private readonly Dictionary<string, Node>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private long _lastZxid;

    public InstantPort() => _bySpan = _nodes.GetAlternateLookup<ReadOnlySpan<char>>();

    public TimeSpan SessionTimeout => TimeSpan.FromSeconds(10);

    public long LastConfirmedTimestamp => TimeProvider.System.GetTimestamp();

    public long? AcceptedConnectTimestamp => TimeProvider.System.GetTimestamp();

    public Task<ZooKeeperError> SyncAsync(string path) => Task.FromResult(ZooKeeperError.Ok);

    public event Action<SessionChange>? SessionChanged
    {
        add { }
        remove { }
    }

    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl) =>
        Task.FromResult(Create(path, kind, ++_lastZxid) with { CreatedZxid = null });

    public Task<ZooKeeperError> DeleteAsync(string path) => Task.FromResult(Delete(path));

    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch) =>
        Task.FromResult(_nodes.TryGetValue(path, out var node)
            ? new ChildrenOutcome(ZooKeeperError.Ok, node.ChildNames())
            : new ChildrenOutcome(ZooKeeperError.NoNode, ImmutableArray<string>.Empty));

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) =>
        Task.FromResult(_nodes.ContainsKey(path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode);

    /// <summary>
    /// Applies the writes in order, as one transaction with one zxid that every node created gets, and gives that zxid
    /// with each create, as the real adapter does (from the reply's header). On the first failure it undoes the ones
    /// applied, as an atomic multi does.
    /// </summary>
    public Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops)
    {
        long zxid = ++_lastZxid;
        var results = new WriteResult[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            var (error, created, createdZxid) = ops[i] is CreateOp c ? Create(c.Path, c.Kind, zxid) : new CreateOutcome(Delete(ops[i].Path), null);
            if (error != ZooKeeperError.Ok)
            {
                return Task.FromResult(Failed(ops, results, i, error));
            }

            results[i] = new WriteResult(ZooKeeperError.Ok, created, createdZxid);
        }

        return Task.FromResult(new MultiOutcome(ZooKeeperError.Ok, ImmutableCollectionsMarshal.AsImmutableArray(results)));
    }

    public Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiReadOutcome(ZooKeeperError.Ok, [.. paths.Select(path => _nodes.TryGetValue(path, out var node)
            ? new ChildrenResult(ZooKeeperError.Ok, node.ChildNames())
            : new ChildrenResult(ZooKeeperError.NoNode, ImmutableArray<string>.Empty))]));

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiStatOutcome(ZooKeeperError.Ok, [.. paths.Select(path => _nodes.TryGetValue(path, out var node)
            ? new StatResult(ZooKeeperError.Ok, node.CreatedZxid)
            : new StatResult(ZooKeeperError.NoNode, 0))]));

    private CreateOutcome Create(string path, NodeKind kind, long zxid)
    {
        int slash = path.LastIndexOf('/');
        if (!_bySpan.TryGetValue(slash == 0 ? "/" : path.AsSpan(0, slash), out var parent))
        {
            return new CreateOutcome(ZooKeeperError.NoNode, null);
        }

        if (kind == NodeKind.EphemeralSequential)
        {
            int sequence = parent.NextSequence++;
            path = string.Create(CultureInfo.InvariantCulture, $"{path}{sequence:D10}");
        }

        if (!_nodes.TryAdd(path, new Node(zxid)))
        {
            return new CreateOutcome(ZooKeeperError.NodeExists, null);
        }

        parent.AddChild(path);
        return new CreateOutcome(ZooKeeperError.Ok, path, zxid);
    }

    private ZooKeeperError Delete(string path)
    {
        if (!_nodes.TryGetValue(path, out var node))
        {
            return ZooKeeperError.NoNode;
        }

        if (node.HasChildren)
        {
            return ZooKeeperError.NotEmpty;
        }

        _nodes.Remove(path);
        int slash = path.LastIndexOf('/');
        _bySpan[slash == 0 ? "/" : path.AsSpan(0, slash)].RemoveChild(path);
        return ZooKeeperError.Ok;
    }

    /// <summary>
    /// Undoes the creates of a failed multi (a delete is not undone: a lone member deletes only its own nodes, which
    /// never fails) and gives each op its code: Ok before the failing one, its error, RuntimeInconsistency after it.
    /// A method of its own, so that the success path allocates no closure.
    /// </summary>
    private MultiOutcome Failed(ImmutableArray<WriteOp> ops, WriteResult[] applied, int failedAt, ZooKeeperError error)
    {
        for (int i = failedAt - 1; i >= 0; i--)
        {
            if (ops[i] is CreateOp)
            {
                Delete(applied[i].CreatedPath!);
            }
        }

        var failed = Enumerable.Range(0, ops.Length)
            .Select(i => new WriteResult(i < failedAt ? ZooKeeperError.Ok : i == failedAt ? error : ZooKeeperError.RuntimeInconsistency, null));
        return new MultiOutcome(error, [.. failed]);
    }

    /// <summary>
    /// One node: its creation zxid, its next sequence number and its children's paths (names are cut from the paths
    /// only when the children are read, which a first allocation never does). A lock folder has one child, kept in a
    /// field: a collection per folder would cost more than the member does.
    /// </summary>
    private sealed class Node(long createdZxid)
    {
        private string? _onlyChild;
        private List<string>? _children;

        public long CreatedZxid { get; } = createdZxid;

        public int NextSequence { get; set; }

        public bool HasChildren => _onlyChild is not null || _children is { Count: > 0 };

        public void AddChild(string path)
        {
            if (_onlyChild is null && _children is null)
            {
                _onlyChild = path;
                return;
            }

            _children ??= [_onlyChild!];
            _onlyChild = null;
            _children.Add(path);
        }

        public void RemoveChild(string path)
        {
            if (string.Equals(_onlyChild, path, StringComparison.Ordinal))
            {
                _onlyChild = null;
            }
            else
            {
                _children?.Remove(path);
            }
        }

        public ImmutableArray<string> ChildNames() => _onlyChild is not null
            ? [NameOf(_onlyChild)]
            : _children is null ? [] : [.. _children.Select(NameOf)];

        private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];
    }
}
