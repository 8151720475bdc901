using System.Collections.Immutable;
using System.Globalization;
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

    public long LastHeardTimestamp => TimeProvider.System.GetTimestamp();

    public long? AcceptedConnectTimestamp => TimeProvider.System.GetTimestamp();

    public Task<ZooKeeperError> SyncAsync(string path) => Task.FromResult(ZooKeeperError.Ok);

    public event Action<SessionChange>? SessionChanged
    {
        add { }
        remove { }
    }

    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl) =>
        Task.FromResult(Create(path, kind));

    public Task<ZooKeeperError> DeleteAsync(string path) => Task.FromResult(Delete(path));

    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch) =>
        Task.FromResult(_nodes.TryGetValue(path, out var node)
            ? new ChildrenOutcome(ZooKeeperError.Ok, node.ChildNames())
            : new ChildrenOutcome(ZooKeeperError.NoNode, ImmutableArray<string>.Empty));

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) =>
        Task.FromResult(_nodes.ContainsKey(path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode);

    /// <summary>Applies the writes in order; on the first failure undoes the ones applied, as an atomic multi does.</summary>
    public Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops)
    {
        var results = ImmutableArray.CreateBuilder<WriteResult>(ops.Length);
        foreach (var op in ops)
        {
            var (error, created, _) = op is CreateOp c ? Create(c.Path, c.Kind) : new CreateOutcome(Delete(op.Path), null);
            if (error != ZooKeeperError.Ok)
            {
                Undo(results, ops);
                var failed = Enumerable.Range(0, ops.Length)
                    .Select(i => new WriteResult(i < results.Count ? ZooKeeperError.Ok : i == results.Count ? error : ZooKeeperError.RuntimeInconsistency, null));
                return Task.FromResult(new MultiOutcome(error, [.. failed]));
            }

            results.Add(new WriteResult(ZooKeeperError.Ok, created));
        }

        return Task.FromResult(new MultiOutcome(ZooKeeperError.Ok, results.MoveToImmutable()));
    }

    public Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiReadOutcome(ZooKeeperError.Ok, [.. paths.Select(path => _nodes.TryGetValue(path, out var node)
            ? new ChildrenResult(ZooKeeperError.Ok, node.ChildNames())
            : new ChildrenResult(ZooKeeperError.NoNode, ImmutableArray<string>.Empty))]));

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiStatOutcome(ZooKeeperError.Ok, [.. paths.Select(path => _nodes.TryGetValue(path, out var node)
            ? new StatResult(ZooKeeperError.Ok, node.CreatedZxid)
            : new StatResult(ZooKeeperError.NoNode, 0))]));

    private CreateOutcome Create(string path, NodeKind kind)
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

        if (_nodes.ContainsKey(path))
        {
            return new CreateOutcome(ZooKeeperError.NodeExists, null);
        }

        _nodes[path] = new Node(++_lastZxid);
        parent.Children.Add(path);
        return new CreateOutcome(ZooKeeperError.Ok, path);
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
        _bySpan[slash == 0 ? "/" : path.AsSpan(0, slash)].Children.Remove(path);
        return ZooKeeperError.Ok;
    }

    /// <summary>Undoes the creates of a failed multi. A delete is not undone: a lone member deletes only its own nodes, which never fails.</summary>
    private void Undo(ImmutableArray<WriteResult>.Builder applied, ImmutableArray<WriteOp> ops)
    {
        for (int i = applied.Count - 1; i >= 0; i--)
        {
            if (ops[i] is CreateOp)
            {
                Delete(applied[i].CreatedPath!);
            }
        }
    }

    /// <summary>
    /// One node: its creation zxid, its next sequence number and its children's paths (the set is made on the first
    /// child; names are cut from the paths only when the children are read, which a first allocation never does).
    /// </summary>
    private sealed class Node(long createdZxid)
    {
        private HashSet<string>? _children;

        public long CreatedZxid { get; } = createdZxid;

        public int NextSequence { get; set; }

        public HashSet<string> Children => _children ??= new HashSet<string>(StringComparer.Ordinal);

        public bool HasChildren => _children is { Count: > 0 };

        public ImmutableArray<string> ChildNames() => _children is null ? [] : [.. _children.Select(path => path[(path.LastIndexOf('/') + 1)..])];
    }
}
