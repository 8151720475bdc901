using System.Collections.Immutable;
using System.Globalization;
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

        var batch = new WriteBatch(this, ++LastZxid);
        var (error, created) = batch.Create(path, data.ToArray(), kind, sessionId);
        if (error == ZooKeeperError.Ok)
        {
            batch.Commit();
        }

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
        var batch = new WriteBatch(this, ++LastZxid);
        int slash = 0;
        var error = ZooKeeperError.Ok;
        while (error is ZooKeeperError.Ok or ZooKeeperError.NodeExists && slash >= 0)
        {
            slash = path.IndexOf('/', slash + 1);
            var prefix = slash < 0 ? path : path[..slash];
            error = Find(prefix) is null ? batch.Create(prefix, Array.Empty<byte>(), NodeKind.Persistent, 0).Error : ZooKeeperError.NodeExists;
        }

        batch.Commit();
        Log($"operator create {path} -> {error}");
        return error == ZooKeeperError.NodeExists ? ZooKeeperError.Ok : error;
    }

    /// <summary>An operator deletes a node from outside the party (zkCli's <c>delete</c>), whoever owns it.</summary>
    public ZooKeeperError OperatorDelete(string path)
    {
        EnsureUp();
        var batch = new WriteBatch(this, ++LastZxid);
        var error = batch.Delete(path);
        if (error == ZooKeeperError.Ok)
        {
            batch.Commit();
        }

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

        var batch = new WriteBatch(this, ++LastZxid);
        var error = batch.Delete(path);
        if (error == ZooKeeperError.Ok)
        {
            batch.Commit();
        }

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
    public (ZooKeeperError Error, ImmutableArray<WriteResult> Results) Multi(long sessionId, ImmutableArray<WriteOp> ops)
    {
        if (LiveSession(sessionId) is null)
        {
            return (ZooKeeperError.SessionExpired, ImmutableArray<WriteResult>.Empty);
        }

        var batch = new WriteBatch(this, ++LastZxid);
        var results = ImmutableArray.CreateBuilder<WriteResult>(ops.Length);
        for (int i = 0; i < ops.Length; i++)
        {
            var (error, created) = ops[i] switch
            {
                CreateOp create => batch.Create(create.Path, create.Data.ToArray(), create.Kind, sessionId),
                DeleteOp delete => (batch.Delete(delete.Path), null),
                _ => (ZooKeeperError.BadArguments, null),
            };
            if (error != ZooKeeperError.Ok)
            {
                batch.Rollback();
                Log($"0x{sessionId:x} multi[{ops.Length}] failed at {i} {ops[i].Path} -> {error}");
                return (error, FailedMultiResults(ops.Length, i, error));
            }

            results.Add(new WriteResult(ZooKeeperError.Ok, created));
        }

        batch.Commit();
        Log($"0x{sessionId:x} multi[{ops.Length}] -> Ok");
        return (ZooKeeperError.Ok, results.MoveToImmutable());
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
            results.Add(Find(path) is { } node ? new DataResult(ZooKeeperError.Ok, [.. node.Data]) : new DataResult(ZooKeeperError.NoNode, ImmutableArray<byte>.Empty));
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
        return sessionsById.GetValueOrDefault(sessionId) is { Alive: true } session ? session : null;
    }

    /// <summary>
    /// The writes of one transaction (one zxid): applied at once to the tree, undone in reverse on
    /// rollback; watches fire only on commit, so a failed multi is invisible to every client.
    /// </summary>
    private sealed class WriteBatch
    {
        private readonly InMemoryZooKeeper server;
        private readonly long zxid;
        private readonly List<Action> undo = new();
        private readonly List<(string Path, WatchEventKind Kind)> events = new();

        public WriteBatch(InMemoryZooKeeper server, long zxid)
        {
            this.server = server;
            this.zxid = zxid;
        }

        public (ZooKeeperError Error, string? CreatedPath) Create(string path, byte[] data, NodeKind kind, long sessionId)
        {
            if (!IsValidPath(path))
            {
                return (ZooKeeperError.BadArguments, null);
            }

            var parent = server.Find(ParentOf(path));
            if (parent is null)
            {
                return (ZooKeeperError.NoNode, null);
            }

            if (parent.IsEphemeral)
            {
                return (ZooKeeperError.NoChildrenForEphemerals, null);
            }

            string name = path[(path.LastIndexOf('/') + 1)..];
            if (kind == NodeKind.EphemeralSequential)
            {
                name += parent.Cversion.ToString("D10", CultureInfo.InvariantCulture);
            }

            if (parent.Child(name) is not null)
            {
                return (ZooKeeperError.NodeExists, null);
            }

            string fullPath = parent == server.Root ? "/" + name : parent.Path + "/" + name;
            long owner = kind == NodeKind.Persistent ? 0 : sessionId;
            var node = new ZNode(fullPath, name, parent, data, owner, zxid);
            Attach(parent, node);
            events.Add((fullPath, WatchEventKind.NodeCreated));
            events.Add((parent.Path, WatchEventKind.NodeChildrenChanged));
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
            events.Add((path, WatchEventKind.NodeDeleted));
            events.Add((node.Parent!.Path, WatchEventKind.NodeChildrenChanged));
            return ZooKeeperError.Ok;
        }

        public void Commit()
        {
            foreach (var (path, kind) in events)
            {
                server.Trigger(path, kind);
            }
        }

        public void Rollback()
        {
            for (int i = undo.Count - 1; i >= 0; i--)
            {
                undo[i]();
            }
        }

        private void Attach(ZNode parent, ZNode node)
        {
            var (cversion, pzxid) = (parent.Cversion, parent.Pzxid);
            parent.AddChild(node);
            server.nodesByPath.Add(node.Path, node);
            parent.Cversion++;
            parent.Pzxid = zxid;
            var owner = node.IsEphemeral ? server.sessionsById[node.EphemeralOwner] : null;
            owner?.Ephemerals.Add(node.Path);
            undo.Add(() =>
            {
                parent.RemoveChild(node.Name);
                server.nodesByPath.Remove(node.Path);
                (parent.Cversion, parent.Pzxid) = (cversion, pzxid);
                owner?.Ephemerals.Remove(node.Path);
            });
        }

        private void Detach(ZNode node)
        {
            var parent = node.Parent!;
            var (cversion, pzxid) = (parent.Cversion, parent.Pzxid);
            parent.RemoveChild(node.Name);
            server.nodesByPath.Remove(node.Path);
            parent.Cversion++;
            parent.Pzxid = zxid;
            var owner = node.IsEphemeral ? server.sessionsById.GetValueOrDefault(node.EphemeralOwner) : null;
            owner?.Ephemerals.Remove(node.Path);
            undo.Add(() =>
            {
                parent.AddChild(node);
                server.nodesByPath.Add(node.Path, node);
                (parent.Cversion, parent.Pzxid) = (cversion, pzxid);
                owner?.Ephemerals.Add(node.Path);
            });
        }
    }
}
