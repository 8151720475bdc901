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
    private readonly Dictionary<string, HashSet<string>> _children = new(StringComparer.Ordinal) { ["/"] = [] };
    private readonly Dictionary<string, int> _sequences = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _createdZxids = new(StringComparer.Ordinal);
    private long _lastZxid;

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
        Task.FromResult(_children.TryGetValue(path, out var names)
            ? new ChildrenOutcome(ZooKeeperError.Ok, [.. names])
            : new ChildrenOutcome(ZooKeeperError.NoNode, ImmutableArray<string>.Empty));

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) =>
        Task.FromResult(_children.ContainsKey(path) ? ZooKeeperError.Ok : ZooKeeperError.NoNode);

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
        Task.FromResult(new MultiReadOutcome(ZooKeeperError.Ok, [.. paths.Select(path => _children.TryGetValue(path, out var names)
            ? new ChildrenResult(ZooKeeperError.Ok, [.. names])
            : new ChildrenResult(ZooKeeperError.NoNode, ImmutableArray<string>.Empty))]));

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) =>
        Task.FromResult(new MultiStatOutcome(ZooKeeperError.Ok, [.. paths.Select(path => _createdZxids.TryGetValue(path, out long zxid)
            ? new StatResult(ZooKeeperError.Ok, zxid)
            : new StatResult(ZooKeeperError.NoNode, 0))]));

    private CreateOutcome Create(string path, NodeKind kind)
    {
        int slash = path.LastIndexOf('/');
        string parent = slash == 0 ? "/" : path[..slash];
        if (!_children.TryGetValue(parent, out var siblings))
        {
            return new CreateOutcome(ZooKeeperError.NoNode, null);
        }

        if (kind == NodeKind.EphemeralSequential)
        {
            int sequence = _sequences.GetValueOrDefault(parent);
            _sequences[parent] = sequence + 1;
            path += sequence.ToString("D10", CultureInfo.InvariantCulture);
        }

        if (_children.ContainsKey(path))
        {
            return new CreateOutcome(ZooKeeperError.NodeExists, null);
        }

        _children[path] = [];
        _createdZxids[path] = ++_lastZxid;
        siblings.Add(path[(path.LastIndexOf('/') + 1)..]);
        return new CreateOutcome(ZooKeeperError.Ok, path);
    }

    private ZooKeeperError Delete(string path)
    {
        if (!_children.TryGetValue(path, out var own))
        {
            return ZooKeeperError.NoNode;
        }

        if (own.Count > 0)
        {
            return ZooKeeperError.NotEmpty;
        }

        _children.Remove(path);
        _createdZxids.Remove(path);
        int slash = path.LastIndexOf('/');
        _children[slash == 0 ? "/" : path[..slash]].Remove(path[(slash + 1)..]);
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
}
