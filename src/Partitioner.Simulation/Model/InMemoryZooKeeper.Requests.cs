using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;
using Partitioner.Core;

namespace Partitioner.Simulation.Model;

/// <summary>The client requests: each checks the session first, then acts on the tree.</summary>
public sealed partial class InMemoryZooKeeper
{
    /// <summary>Creates a node; the created path carries the sequence suffix for sequential nodes.</summary>
    public (ZooKeeperError Error, string? CreatedPath) Create(long sessionId, string path, ReadOnlySpan<byte> data, NodeKind kind)
    {
        var session = LiveSession(sessionId);
        if (session is null)
        {
            return (ZooKeeperError.SessionExpired, null);
        }

        var batch = BeginBatch(++LastZxid);
        var (error, created) = batch.Create(path, data.IsEmpty ? ImmutableArray<byte>.Empty : ImmutableArray.Create(data), kind, sessionId);
        EndBatch(batch, error == ZooKeeperError.Ok);

        Log($"0x{sessionId:x} create {created ?? path} {kind} ({data.Length} bytes) -> {error}");
        return (error, created);
    }

    /// <summary>
    /// An operator's write from outside the party (zkCli's <c>create</c>): a persistent node, its missing
    /// parents too. Watches fire as for any write.
    /// </summary>
    public ZooKeeperError OperatorCreate(string path)
    {
        EnsureUp();
        var batch = BeginBatch(++LastZxid);
        int slash = 0;
        var error = ZooKeeperError.Ok;
        while (error is ZooKeeperError.Ok or ZooKeeperError.NodeExists && slash >= 0)
        {
            slash = path.IndexOf('/', slash + 1);
            var prefix = slash < 0 ? path : path[..slash];
            error = Find(prefix) is null ? batch.Create(prefix, ImmutableArray<byte>.Empty, NodeKind.Persistent, 0).Error : ZooKeeperError.NodeExists;
        }

        CommitBatch(batch);
        Log($"operator create {path} -> {error}");
        return error == ZooKeeperError.NodeExists ? ZooKeeperError.Ok : error;
    }

    /// <summary>An operator deletes a node from outside the party (zkCli's <c>delete</c>), whoever owns it.</summary>
    public ZooKeeperError OperatorDelete(string path)
    {
        EnsureUp();
        var batch = BeginBatch(++LastZxid);
        var error = batch.Delete(path);
        EndBatch(batch, error == ZooKeeperError.Ok);

        Log($"operator delete {path} -> {error}");
        return error;
    }

    /// <summary>Deletes a node, any version.</summary>
    public ZooKeeperError Delete(long sessionId, string path)
    {
        if (LiveSession(sessionId) is null)
        {
            return ZooKeeperError.SessionExpired;
        }

        var batch = BeginBatch(++LastZxid);
        var error = batch.Delete(path);
        EndBatch(batch, error == ZooKeeperError.Ok);

        Log($"0x{sessionId:x} delete {path} -> {error}");
        return error;
    }

    /// <summary>A sync: Ok on a live session (this model's one server is its own leader).</summary>
    public ZooKeeperError Sync(long sessionId) => LiveSession(sessionId) is null ? ZooKeeperError.SessionExpired : ZooKeeperError.Ok;

    /// <summary>Lists children (in no particular order); leaves a children watch on success when asked.</summary>
    public (ZooKeeperError Error, ImmutableArray<string> Children) GetChildren(long sessionId, string path, bool watch)
    {
        var session = LiveSession(sessionId);
        if (session is null)
        {
            return (ZooKeeperError.SessionExpired, ImmutableArray<string>.Empty);
        }

        if (Find(path) is not { } node)
        {
            return (ZooKeeperError.NoNode, ImmutableArray<string>.Empty);
        }

        if (watch)
        {
            session.ChildWatches.Add(path);
        }

        return (ZooKeeperError.Ok, ShuffledChildren(node));
    }

    /// <summary>Ok or NoNode; a requested watch is left in both cases.</summary>
    public ZooKeeperError Exists(long sessionId, string path, bool watch)
    {
        var session = LiveSession(sessionId);
        if (session is null)
        {
            return ZooKeeperError.SessionExpired;
        }

        if (watch)
        {
            session.DataWatches.Add(path);
        }

        return Find(path) is null ? ZooKeeperError.NoNode : ZooKeeperError.Ok;
    }

    /// <summary>
    /// Applies every op or none. On failure: Ok for the ops before the failing one (not applied), its
    /// code, and RuntimeInconsistency for the ops after it, as ZooKeeper reports a failed multi.
    /// </summary>
    /// <param name="sessionId">The session that sends the multi.</param>
    /// <param name="ops">The writes, applied in order.</param>
    /// <param name="withZxid">
    /// Whether each create's result carries the multi's zxid, as the real client's adapter gives it (from the reply's
    /// header); the simulated client, like a client that reads no stat, does not.
    /// </param>
    public (ZooKeeperError Error, ImmutableArray<WriteResult> Results) Multi(long sessionId, ImmutableArray<WriteOp> ops, bool withZxid = false)
    {
        if (LiveSession(sessionId) is null)
        {
            return (ZooKeeperError.SessionExpired, ImmutableArray<WriteResult>.Empty);
        }

        long zxid = ++LastZxid;
        var batch = BeginBatch(zxid);
        var results = new WriteResult[ops.Length];
        for (int i = 0; i < ops.Length; i++)
        {
            var (error, created) = ops[i] switch
            {
                CreateOp create => batch.Create(create.Path, create.Data, create.Kind, sessionId),
                DeleteOp delete => (batch.Delete(delete.Path), null),
                _ => (ZooKeeperError.BadArguments, null),
            };
            if (error != ZooKeeperError.Ok)
            {
                EndBatch(batch, commit: false);
                Log($"0x{sessionId:x} multi[{ops.Length}] failed at {i} {ops[i].Path} -> {error}");
                return (error, FailedMultiResults(ops.Length, i, error));
            }

            results[i] = new WriteResult(ZooKeeperError.Ok, created, withZxid && created is not null ? zxid : null);
        }

        CommitBatch(batch);
        Log($"0x{sessionId:x} multi[{ops.Length}] -> Ok");

        // The array is new and not kept, so it becomes the result without a copy.
        return (ZooKeeperError.Ok, ImmutableCollectionsMarshal.AsImmutableArray(results));
    }

    /// <summary>Reads several children lists; each read succeeds or fails on its own, without watches.</summary>
    public (ZooKeeperError Error, ImmutableArray<ChildrenResult> Results) MultiGetChildren(long sessionId, ImmutableArray<string> paths)
    {
        if (LiveSession(sessionId) is null)
        {
            return (ZooKeeperError.SessionExpired, ImmutableArray<ChildrenResult>.Empty);
        }

        var results = ImmutableArray.CreateBuilder<ChildrenResult>(paths.Length);
        foreach (var path in paths)
        {
            var (error, children) = GetChildren(sessionId, path, watch: false);
            results.Add(new ChildrenResult(error, children));
        }

        return (ZooKeeperError.Ok, results.MoveToImmutable());
    }

    /// <summary>
    /// Reads several nodes' stats (a multiRead of getData); each read succeeds or fails on its own, without watches.
    /// Each result carries the node's real creation zxid, the fencing token a lock node gives its holder.
    /// </summary>
    public (ZooKeeperError Error, ImmutableArray<StatResult> Results) MultiGetStat(long sessionId, ImmutableArray<string> paths)
    {
        if (LiveSession(sessionId) is null)
        {
            return (ZooKeeperError.SessionExpired, ImmutableArray<StatResult>.Empty);
        }

        var results = ImmutableArray.CreateBuilder<StatResult>(paths.Length);
        foreach (var path in paths)
        {
            results.Add(Find(path) is { } node ? new StatResult(ZooKeeperError.Ok, node.Czxid) : new StatResult(ZooKeeperError.NoNode, 0));
        }

        return (ZooKeeperError.Ok, results.MoveToImmutable());
    }

    /// <summary>Reads several nodes' data (a multiRead of getData); each read succeeds or fails on its own, without watches.</summary>
    public (ZooKeeperError Error, ImmutableArray<DataResult> Results) MultiGetData(long sessionId, ImmutableArray<string> paths)
    {
        if (LiveSession(sessionId) is null)
        {
            return (ZooKeeperError.SessionExpired, ImmutableArray<DataResult>.Empty);
        }

        var results = ImmutableArray.CreateBuilder<DataResult>(paths.Length);
        foreach (var path in paths)
        {
            results.Add(Find(path) is { } node ? new DataResult(ZooKeeperError.Ok, node.Data) : new DataResult(ZooKeeperError.NoNode, ImmutableArray<byte>.Empty));
        }

        return (ZooKeeperError.Ok, results.MoveToImmutable());
    }

    private static ImmutableArray<WriteResult> FailedMultiResults(int count, int failedAt, ZooKeeperError error)
    {
        var results = ImmutableArray.CreateBuilder<WriteResult>(count);
        for (int i = 0; i < count; i++)
        {
            var code = i < failedAt ? ZooKeeperError.Ok : i == failedAt ? error : ZooKeeperError.RuntimeInconsistency;
            results.Add(new WriteResult(code, null));
        }

        return results.MoveToImmutable();
    }

    private ServerSession? LiveSession(long sessionId)
    {
        EnsureUp();
        return _sessionsById.GetValueOrDefault(sessionId) is { Alive: true } session ? session : null;
    }

    /// <summary>A batch for the transaction <paramref name="zxid"/>: the spare one when it is free.</summary>
    private WriteBatch BeginBatch(long zxid)
    {
        var batch = _spareBatch ?? new WriteBatch(this);
        _spareBatch = null;
        batch.Begin(zxid);
        return batch;
    }

    /// <summary>Commits the batch's writes (their watches fire) or undoes them, and keeps the batch for the next write.</summary>
    private void EndBatch(WriteBatch batch, bool commit)
    {
        if (commit)
        {
            CommitBatch(batch);
        }
        else
        {
            batch.Rollback();
            batch.Clear();
            _spareBatch = batch;
        }
    }

    private void CommitBatch(WriteBatch batch)
    {
        batch.Commit();
        batch.Clear();
        _spareBatch = batch;
    }

    /// <summary>
    /// The writes of one transaction (one zxid): applied at once to the tree, undone in reverse on
    /// rollback; watches fire only on commit, so a failed multi is invisible to every client.
    /// </summary>
    /// <remarks>
    /// One batch serves write after write (its lists keep their room), so that a write allocates no batch, no undo
    /// closure and no event list. A watch callback may write again while a commit fires (the shell tests' tree calls
    /// members back inside the write): that write finds the spare batch taken and makes its own.
    /// </remarks>
    private sealed class WriteBatch(InMemoryZooKeeper server)
    {
        private readonly List<Undo> _undo = new();
        private readonly List<(string Path, WatchEventKind Kind)> _events = new();
        private long _zxid;

        public void Begin(long transaction) => _zxid = transaction;

        public void Clear()
        {
            _undo.Clear();
            _events.Clear();
        }

        public (ZooKeeperError Error, string? CreatedPath) Create(string path, ImmutableArray<byte> data, NodeKind kind, long sessionId)
        {
            if (!IsValidPath(path))
            {
                return (ZooKeeperError.BadArguments, null);
            }

            // Only persistent nodes are in the index, so an ephemeral parent is looked for apart, on this failing path only.
            var parent = server.ParentOf(path);
            if (parent is null)
            {
                bool ephemeral = server.Find(path[..path.LastIndexOf('/')]) is { IsEphemeral: true };
                return (ephemeral ? ZooKeeperError.NoChildrenForEphemerals : ZooKeeperError.NoNode, null);
            }

            // A valid path is its own full path; a sequential one gets the parent's cversion in ten digits.
            string fullPath = kind == NodeKind.EphemeralSequential ? WithSequence(path, parent.Cversion) : path;
            if (parent.ChildByPath(fullPath) is not null)
            {
                return (ZooKeeperError.NodeExists, null);
            }

            long owner = kind == NodeKind.Persistent ? 0 : sessionId;
            var node = new ZNode(fullPath, parent, data.IsDefault ? ImmutableArray<byte>.Empty : data, owner, _zxid);
            Attach(parent, node);
            _events.Add((fullPath, WatchEventKind.NodeCreated));
            _events.Add((parent.Path, WatchEventKind.NodeChildrenChanged));
            return (ZooKeeperError.Ok, fullPath);
        }

        public ZooKeeperError Delete(string path)
        {
            if (!IsValidPath(path))
            {
                return ZooKeeperError.BadArguments;
            }

            var node = server.Find(path);
            if (node is null)
            {
                return ZooKeeperError.NoNode;
            }

            if (node.ChildCount > 0)
            {
                return ZooKeeperError.NotEmpty;
            }

            Detach(node);
            _events.Add((path, WatchEventKind.NodeDeleted));
            _events.Add((node.Parent!.Path, WatchEventKind.NodeChildrenChanged));
            return ZooKeeperError.Ok;
        }

        public void Commit()
        {
            // By index: a watch callback that writes again uses another batch, so this list does not change meanwhile.
            for (int i = 0; i < _events.Count; i++)
            {
                server.Trigger(_events[i].Path, _events[i].Kind);
            }
        }

        public void Rollback()
        {
            for (int i = _undo.Count - 1; i >= 0; i--)
            {
                var (node, attached, cversion, pzxid) = _undo[i];
                var parent = node.Parent!;
                if (attached)
                {
                    Unlink(parent, node);
                }
                else
                {
                    Link(parent, node);
                }

                (parent.Cversion, parent.Pzxid) = (cversion, pzxid);
            }
        }

        private void Attach(ZNode parent, ZNode node)
        {
            _undo.Add(new Undo(node, Attached: true, parent.Cversion, parent.Pzxid));
            Link(parent, node);
            parent.Cversion++;
            parent.Pzxid = _zxid;
        }

        private void Detach(ZNode node)
        {
            var parent = node.Parent!;
            _undo.Add(new Undo(node, Attached: false, parent.Cversion, parent.Pzxid));
            Unlink(parent, node);
            parent.Cversion++;
            parent.Pzxid = _zxid;
        }

        /// <summary>Puts <paramref name="node"/> in the tree: under its parent, and with its owner or in the index.</summary>
        private void Link(ZNode parent, ZNode node)
        {
            parent.AddChild(node);
            if (node.IsEphemeral)
            {
                server._sessionsById[node.EphemeralOwner].AddEphemeral(node);
            }
            else
            {
                server._nodesByPath.Add(node.Path, node);
            }
        }

        /// <summary>Takes <paramref name="node"/> out of the tree: from under its parent, and from its owner or the index.</summary>
        private void Unlink(ZNode parent, ZNode node)
        {
            parent.RemoveChild(node);
            if (node.IsEphemeral)
            {
                server._sessionsById[node.EphemeralOwner].RemoveEphemeral(node);
            }
            else
            {
                server._nodesByPath.Remove(node.Path);
            }
        }

        /// <summary><paramref name="path"/> and <paramref name="sequence"/> in ten digits, as ZooKeeper names a sequential node.</summary>
        private static string WithSequence(string path, int sequence) =>
            string.Create(CultureInfo.InvariantCulture, $"{path}{sequence:D10}");

        /// <summary>What undoes one write: the node linked or unlinked, and its parent's stat before the write.</summary>
        private readonly record struct Undo(ZNode Node, bool Attached, int Cversion, long Pzxid);
    }
}
