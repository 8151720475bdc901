using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation.Model;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Simulation.Network;

/// <summary>The port's requests: each is carried to the server and its reply back, in order.</summary>
public sealed partial class SimulatedClientPort
{
    /// <summary>Creates a node with the open ACL (the model keeps none); for tests and tools that drive a session by hand.</summary>
    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind) =>
        CreateAsync(path, data, kind, PartyAcl.OpenUnsafe.Node);

    /// <inheritdoc />
    /// <remarks>The model keeps no ACLs: every simulated member has every right, as under the open default.</remarks>
    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl)
    {
        ArgumentNullException.ThrowIfNull(path);
        var bytes = data.ToArray();
        return Request(
            id => network.Server.Create(id, path, bytes, kind) is var (error, created) ? new CreateOutcome(error, created) : default,
            error => new CreateOutcome(error, null),
            replyBytes: reply => ReplySize.Create(reply.CreatedPath),
            ordered: true,
            op: "create",
            path: path);
    }

    /// <inheritdoc />
    public Task<ZooKeeperError> DeleteAsync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Request(id => network.Server.Delete(id, path), error => error, ordered: true, op: "delete", path: path);
    }

    /// <inheritdoc />
    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Request(
            id => network.Server.GetChildren(id, path, watch is not null) is var (error, children) ? new ChildrenOutcome(error, children) : default,
            error => new ChildrenOutcome(error, ImmutableArray<string>.Empty),
            replyBytes: reply => ReplySize.Children(reply.Children),
            onReply: reply =>
            {
                // Registered in the step that completes the reply, so no later notification can miss it.
                if (watch is not null && reply.Error == ZooKeeperError.Ok)
                {
                    watches.Add(WatchKind.Child, path, watch);
                }
            },
            op: "getChildren",
            path: path);
    }

    /// <inheritdoc />
    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Request(
            id => network.Server.Exists(id, path, watch is not null),
            error => error,
            onReply: reply =>
            {
                if (watch is not null && reply is ZooKeeperError.Ok or ZooKeeperError.NoNode)
                {
                    watches.Add(reply == ZooKeeperError.Ok ? WatchKind.Data : WatchKind.Exist, path, watch);
                }
            },
            op: "exists",
            path: path);
    }

    /// <inheritdoc />
    public Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops) => Request(
        id => network.Server.Multi(id, ops) is var (error, results) ? new MultiOutcome(error, results) : default,
        error => new MultiOutcome(error, ImmutableArray<WriteResult>.Empty),
        replyBytes: reply => ReplySize.Multi(reply.Results),
        ordered: true,
        op: "multi");

    /// <inheritdoc />
    public Task<ZooKeeperError> SyncAsync(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Request(id => network.Server.Sync(id), error => error, ordered: true, op: "sync", path: path);
    }

    /// <inheritdoc />
    public Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths) => Request(
        id => network.Server.MultiGetChildren(id, paths) is var (error, results) ? new MultiReadOutcome(error, results) : default,
        error => new MultiReadOutcome(error, ImmutableArray<ChildrenResult>.Empty),
        replyBytes: reply => ReplySize.MultiRead(reply.Results),
        op: "multiRead of children",
        inside: (reply, index, code) => reply.Results.IsDefaultOrEmpty
            ? reply
            : reply with { Results = reply.Results.SetItem(index % reply.Results.Length, new ChildrenResult(code, ImmutableArray<string>.Empty)) });

    /// <inheritdoc />
    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) => Request(
        id => network.Server.MultiGetStat(id, paths) is var (error, results) ? new MultiStatOutcome(error, results) : default,
        error => new MultiStatOutcome(error, ImmutableArray<StatResult>.Empty),
        replyBytes: reply => ReplySize.MultiStat(reply.Results),
        op: "multiRead of stats",
        inside: (reply, index, code) => reply.Results.IsDefaultOrEmpty
            ? reply
            : reply with { Results = reply.Results.SetItem(index % reply.Results.Length, new StatResult(code, 0)) });

    /// <inheritdoc />
    public Task<MultiDataOutcome> MultiGetDataAsync(ImmutableArray<string> paths) => Request(
        id => network.Server.MultiGetData(id, paths) is var (error, results) ? new MultiDataOutcome(error, results) : default,
        error => new MultiDataOutcome(error, ImmutableArray<DataResult>.Empty),
        replyBytes: reply => ReplySize.MultiData(reply.Results),
        op: "multiRead of data",
        inside: (reply, index, code) => reply.Results.IsDefaultOrEmpty
            ? reply
            : reply with { Results = reply.Results.SetItem(index % reply.Results.Length, new DataResult(code, ImmutableArray<byte>.Empty)) });

    /// <summary>
    /// Sends one request. <paramref name="op"/> and <paramref name="path"/> name it in the timeline when the leader
    /// answers it with an injected transient code (<see cref="Transients"/>); <paramref name="inside"/> puts such a
    /// code into one read of a multiRead (given a random index and the code).
    /// </summary>
    private Task<T> Request<T>(
        Func<long, T> atServer,
        Func<ZooKeeperError, T> failed,
        Func<T, int>? replyBytes = null,
        Action<T>? onReply = null,
        bool ordered = false,
        string op = "request",
        string? path = null,
        Func<T, int, ZooKeeperError, T>? inside = null)
    {
        // No RunContinuationsAsynchronously: continuations run inline, inside the scheduler step.
        var completion = new TaskCompletionSource<T>();
        if (State != ClientState.Connected || connection is null)
        {
            var error = State is ClientState.Expired or ClientState.Closed ? ZooKeeperError.SessionExpired : ZooKeeperError.ConnectionLoss;
            Scheduler.Schedule(TimeSpan.Zero, () => completion.TrySetResult(failed(error)), process);
            return completion.Task;
        }

        int xid = nextXid++;
        pending.Enqueue(new PendingRequest(xid, clock.GetTimestamp(), error => completion.TrySetResult(failed(error))));
        lastSendTicks = Scheduler.NowTicks;
        var open = connection;
        long id = SessionId;
        open.SendToServer(() => open.ServeAtLeader(id, ordered, () =>
        {
            var server = network.Server;
            T reply;
            if (Transients?.Draw(process.Name, op, path, write: ordered && op != "sync", multiRead: inside is not null) is { } transient)
            {
                reply = transient.Inside ? inside!(atServer(id), transient.Index, transient.Code)
                    : transient.Applied ? Discard(atServer(id), failed(transient.Code))
                    : failed(transient.Code);
            }
            else
            {
                reply = atServer(id);
            }

            long zxid = server.LastZxid;
            int bytes = replyBytes?.Invoke(reply) ?? ReplySize.Header;
            return () => OnReply(open, xid, zxid, bytes, () =>
            {
                onReply?.Invoke(reply);
                completion.TrySetResult(reply);
            });
        }));
        return completion.Task;
    }

    private void OnReply(SimConnection from, int xid, long zxid, int bytes, Action complete)
    {
        if (!ReferenceEquals(from, connection) || State != ClientState.Connected)
        {
            return;
        }


        // The paired check of a FIFO connection: a reply answers the oldest request still waiting.
        if (!pending.TryPeek(out var head) || head.Xid != xid)
        {
            throw new InvalidOperationException($"reply xid {xid} does not match the head of the pending queue ({head?.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "empty"})");
        }

        if (zxid < LastZxid)
        {
            throw new InvalidOperationException($"zxid went backwards: {zxid} < {LastZxid}");
        }

        pending.Dequeue();
        LastZxid = zxid;
        Confirmed(head.SentTimestamp);

        // The real client reads past a reply over its frame limit without keeping it and fails that request
        // alone (ReplyTooLargeException, ZooKeeper's MarshallingError); the connection stays up.
        if (bytes > network.FrameBytesMax)
        {
            Log($"a reply of {bytes} bytes is over the {network.FrameBytesMax}-byte frame limit: its request fails");
            head.Fail(ZooKeeperError.MarshallingError);
            return;
        }

        complete();
    }

    /// <summary>
    /// The leader's transient answers (the TransientReplies fault); null (the default) for a session whose requests
    /// are always answered as usual, as the kazoo-like members' are.
    /// </summary>
    internal Faults.TransientReplies? Transients { get; set; }

    private static T Discard<T>(T carriedOut, T answer)
    {
        _ = carriedOut;
        return answer;
    }

    private sealed record PendingRequest(int Xid, long SentTimestamp, Action<ZooKeeperError> Fail);

    private enum WatchKind
    {
        Data,
        Exist,
        Child,
    }

    /// <summary>The client's one-shot watchers by kind and path, in registration order.</summary>
    private sealed class WatchTable
    {
        private readonly SortedDictionary<string, List<Action<WatchEventKind>>>[] tables =
        [
            new(StringComparer.Ordinal),
            new(StringComparer.Ordinal),
            new(StringComparer.Ordinal),
        ];

        public void Add(WatchKind kind, string path, Action<WatchEventKind> watcher)
        {
            var table = tables[(int)kind];
            if (!table.TryGetValue(path, out var list))
            {
                table[path] = list = new List<Action<WatchEventKind>>();
            }

            list.Add(watcher);
        }

        /// <summary>Removes and returns the watchers an event fires, by ZooKeeper's table of which watches an event triggers.</summary>
        public List<Action<WatchEventKind>> Take(string path, WatchEventKind kind)
        {
            var fired = new List<Action<WatchEventKind>>();
            bool data = kind is WatchEventKind.NodeCreated or WatchEventKind.NodeDataChanged or WatchEventKind.NodeDeleted;
            bool child = kind is WatchEventKind.NodeChildrenChanged or WatchEventKind.NodeDeleted;
            if (data)
            {
                TakeFrom(WatchKind.Data, path, fired);
                TakeFrom(WatchKind.Exist, path, fired);
            }

            if (child)
            {
                TakeFrom(WatchKind.Child, path, fired);
            }

            return fired;
        }

        public List<Action<WatchEventKind>> TakeAll()
        {
            var all = new List<Action<WatchEventKind>>();
            foreach (var table in tables)
            {
                foreach (var list in table.Values)
                {
                    all.AddRange(list);
                }

                table.Clear();
            }

            return all;
        }

        public WatchSet ToWatchSet(long lastZxid) =>
            new(lastZxid, tables[0].Keys.ToArray(), tables[1].Keys.ToArray(), tables[2].Keys.ToArray());

        private void TakeFrom(WatchKind kind, string path, List<Action<WatchEventKind>> into)
        {
            if (tables[(int)kind].Remove(path, out var list))
            {
                into.AddRange(list);
            }
        }
    }
}
