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
/// <remarks>
/// What it keeps lives in the benchmark's own heap, where a real server's tree does not, so every node it keeps makes
/// each of the process's collections dearer: it keeps an ephemeral node (a lock node, a party node) only in its parent,
/// as a path and a zxid, since ZooKeeper gives ephemerals no children; only persistent nodes are found by path. A
/// create under an ephemeral node answers NoNode, where ZooKeeper says NoChildrenForEphemerals.
/// </remarks>
internal sealed class InstantPort : IZooKeeperPort
{
    // The persistent nodes, found by path; a parent is found by a span of its child's path, so a create makes no
    // substring for it. The port is the benchmark's stand-in for the server: it should cost as little as it can.
    private readonly Dictionary<string, Node> _nodes = new(StringComparer.Ordinal) { ["/"] = new Node(0) };
    private readonly Dictionary<string, byte[]> _partyData = new(StringComparer.Ordinal);
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

    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl)
    {
        var outcome = Create(path, kind, ++_lastZxid) with { CreatedZxid = null };
        if (kind == NodeKind.Ephemeral && outcome.Error == ZooKeeperError.Ok)
        {
            _partyData[path] = data.ToArray();
        }

        return Task.FromResult(outcome);
    }

    public Task<ZooKeeperError> DeleteAsync(string path)
    {
        _partyData.Remove(path);
        return Task.FromResult(Delete(path));
    }

    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch)
    {
        var (error, children) = Children(path);
        return Task.FromResult(new ChildrenOutcome(error, children));
    }

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) =>
        Task.FromResult(Zxid(path) is null ? ZooKeeperError.NoNode : ZooKeeperError.Ok);

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
        Task.FromResult(new MultiReadOutcome(ZooKeeperError.Ok, [.. paths.Select(path =>
        {
            var (error, children) = Children(path);
            return new ChildrenResult(error, children);
        })]));

    /// <summary>The data of plain ephemeral nodes (party nodes): the only data Core reads. Lock nodes' data is not kept.</summary>
    public Task<MultiDataOutcome> MultiGetDataAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiDataOutcome(ZooKeeperError.Ok, [.. paths.Select(path => Zxid(path) is null
            ? new DataResult(ZooKeeperError.NoNode, [])
            : new DataResult(ZooKeeperError.Ok, _partyData.TryGetValue(path, out byte[]? data) ? [.. data] : []))]));

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiStatOutcome(ZooKeeperError.Ok, [.. paths.Select(path => Zxid(path) is { } zxid
            ? new StatResult(ZooKeeperError.Ok, zxid)
            : new StatResult(ZooKeeperError.NoNode, 0))]));

    private CreateOutcome Create(string path, NodeKind kind, long zxid)
    {
        if (ParentOf(path) is not { } parent)
        {
            return new CreateOutcome(ZooKeeperError.NoNode, null);
        }

        if (kind == NodeKind.EphemeralSequential)
        {
            int sequence = parent.NextSequence++;
            path = string.Create(CultureInfo.InvariantCulture, $"{path}{sequence:D10}");
        }

        bool ephemeral = kind is NodeKind.Ephemeral or NodeKind.EphemeralSequential;
        if (parent.EphemeralZxid(path) is not null || (ephemeral ? _nodes.ContainsKey(path) : !_nodes.TryAdd(path, new Node(zxid))))
        {
            return new CreateOutcome(ZooKeeperError.NodeExists, null);
        }

        parent.AddChild(path, ephemeral, zxid);
        return new CreateOutcome(ZooKeeperError.Ok, path, zxid);
    }

    private ZooKeeperError Delete(string path)
    {
        if (_nodes.TryGetValue(path, out var node))
        {
            if (node.HasChildren)
            {
                return ZooKeeperError.NotEmpty;
            }

            _nodes.Remove(path);
            ParentOf(path)!.RemovePersistentChild(path);
            return ZooKeeperError.Ok;
        }

        return ParentOf(path) is { } parent && parent.RemoveEphemeralChild(path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode;
    }

    /// <summary>The creation zxid of the node at <paramref name="path"/>; null when there is none.</summary>
    private long? Zxid(string path) =>
        _nodes.TryGetValue(path, out var node) ? node.CreatedZxid : ParentOf(path)?.EphemeralZxid(path);

    /// <summary>The children's names of the node at <paramref name="path"/> (an ephemeral node has none).</summary>
    private (ZooKeeperError Error, ImmutableArray<string> Children) Children(string path) =>
        _nodes.TryGetValue(path, out var node) ? (ZooKeeperError.Ok, node.ChildNames())
        : Zxid(path) is not null ? (ZooKeeperError.Ok, ImmutableArray<string>.Empty)
        : (ZooKeeperError.NoNode, ImmutableArray<string>.Empty);

    /// <summary>The persistent node that would be the parent of <paramref name="path"/>; null when there is none.</summary>
    private Node? ParentOf(string path)
    {
        int slash = path.LastIndexOf('/');
        if (slash < 0 || path.Length == 1)
        {
            return null;
        }

        return _bySpan.TryGetValue(slash == 0 ? "/" : path.AsSpan(0, slash), out var parent) ? parent : null;
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
    /// One persistent node: its creation zxid, its next sequence number, its persistent children's paths, and its
    /// ephemeral children's paths with their zxids (names are cut from the paths only when the children are read,
    /// which a first allocation never does). A lock folder has one ephemeral child, kept in fields: a collection per
    /// folder would cost more than the member does.
    /// </summary>
    private sealed class Node(long createdZxid)
    {
        private List<string>? _persistent;
        private string? _onlyEphemeral;
        private long _onlyEphemeralZxid;
        private List<(string Path, long Zxid)>? _ephemerals;

        public long CreatedZxid { get; } = createdZxid;

        public int NextSequence { get; set; }

        public bool HasChildren => _persistent is { Count: > 0 } || _onlyEphemeral is not null || _ephemerals is { Count: > 0 };

        public void AddChild(string path, bool ephemeral, long zxid)
        {
            if (!ephemeral)
            {
                (_persistent ??= []).Add(path);
            }
            else if (_onlyEphemeral is null && _ephemerals is null)
            {
                (_onlyEphemeral, _onlyEphemeralZxid) = (path, zxid);
            }
            else
            {
                _ephemerals ??= [(_onlyEphemeral!, _onlyEphemeralZxid)];
                _onlyEphemeral = null;
                _ephemerals.Add((path, zxid));
            }
        }

        public void RemovePersistentChild(string path) => _persistent?.Remove(path);

        public bool RemoveEphemeralChild(string path)
        {
            if (string.Equals(_onlyEphemeral, path, StringComparison.Ordinal))
            {
                _onlyEphemeral = null;
                return true;
            }

            int at = _ephemerals?.FindIndex(child => string.Equals(child.Path, path, StringComparison.Ordinal)) ?? -1;
            if (at < 0)
            {
                return false;
            }

            _ephemerals!.RemoveAt(at);
            return true;
        }

        /// <summary>The zxid of the ephemeral child at <paramref name="path"/>; null when there is none.</summary>
        public long? EphemeralZxid(string path)
        {
            if (string.Equals(_onlyEphemeral, path, StringComparison.Ordinal))
            {
                return _onlyEphemeralZxid;
            }

            if (_ephemerals is not null)
            {
                foreach (var (childPath, zxid) in _ephemerals)
                {
                    if (string.Equals(childPath, path, StringComparison.Ordinal))
                    {
                        return zxid;
                    }
                }
            }

            return null;
        }

        public ImmutableArray<string> ChildNames()
        {
            var names = ImmutableArray.CreateBuilder<string>();
            names.AddRange((_persistent ?? []).Select(NameOf));
            if (_onlyEphemeral is not null)
            {
                names.Add(NameOf(_onlyEphemeral));
            }

            names.AddRange((_ephemerals ?? []).Select(child => NameOf(child.Path)));
            return names.ToImmutable();
        }

        private static string NameOf(string path) => path[(path.LastIndexOf('/') + 1)..];
    }
}
