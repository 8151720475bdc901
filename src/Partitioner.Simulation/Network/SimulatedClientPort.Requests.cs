using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation.Model;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Simulation.Network;

/// <summary>
/// The port's requests: each is carried to the server and its reply back, in order, and answered with Core's event
/// for it. The awaitable forms beside them (for the kazoo-like members, tests and tools that drive a session by hand)
/// send the same requests.
/// </summary>
public sealed partial class SimulatedClientPort
{
    /// <inheritdoc />
    /// <remarks>Every answer and callback runs inside a scheduler step of this member's process, on the one scheduler thread.</remarks>
    public PortCallbacks Callbacks => PortCallbacks.DecideInline;

    /// <inheritdoc />
    /// <remarks>The model keeps no ACLs: every simulated member has every right, as under the open default.</remarks>
    public void Send(ZooKeeperCommand request, IRequestSink sink)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        var id = request.OpId;
        switch (request)
        {
            case CreateNode c:
                var data = c.Data.IsDefault ? [] : c.Data.ToArray();
                Request(
                    session => _network.Server.Create(session, c.Path, data, c.Kind) is var (error, created) ? new CreateCompleted(id, error, created) : null!,
                    error => new CreateCompleted(id, error, null),
                    sink.Complete,
                    replyBytes: reply => ReplySize.Create(reply.CreatedPath),
                    ordered: true,
                    op: "create",
                    path: c.Path);
                break;
            case DeleteNode c:
                Request(session => new DeleteCompleted(id, _network.Server.Delete(session, c.Path)), error => new DeleteCompleted(id, error), sink.Complete,
                    ordered: true, op: "delete", path: c.Path);
                break;
            case GetChildren c:
                Request(
                    session => _network.Server.GetChildren(session, c.Path, c.Watch) is var (error, children) ? new ChildrenCompleted(id, error, children) : null!,
                    error => new ChildrenCompleted(id, error, ImmutableArray<string>.Empty),
                    sink.Complete,
                    replyBytes: reply => ReplySize.Children(reply.Children),
                    onReply: reply =>
                    {
                        // Registered in the step that completes the reply, so no later notification can miss it.
                        if (c.Watch && reply.Error == ZooKeeperError.Ok)
                        {
                            _watches.Add(WatchKind.Child, c.Path, kind => sink.Notify(new WatchFired(id, c.Path, kind)));
                        }
                    },
                    op: "getChildren",
                    path: c.Path);
                break;
            case Exists c:
                Request(
                    session => new ExistsCompleted(id, _network.Server.Exists(session, c.Path, c.Watch)),
                    error => new ExistsCompleted(id, error),
                    sink.Complete,
                    onReply: reply =>
                    {
                        if (c.Watch && reply.Error is ZooKeeperError.Ok or ZooKeeperError.NoNode)
                        {
                            _watches.Add(reply.Error == ZooKeeperError.Ok ? WatchKind.Data : WatchKind.Exist, c.Path, kind => sink.Notify(new WatchFired(id, c.Path, kind)));
                        }
                    },
                    op: "exists",
                    path: c.Path);
                break;
            case Multi c:
                Request(
                    session => _network.Server.Multi(session, c.Ops) is var (error, results) ? new MultiCompleted(id, error, results) : null!,
                    error => new MultiCompleted(id, error, ImmutableArray<WriteResult>.Empty),
                    sink.Complete,
                    replyBytes: reply => ReplySize.Multi(reply.Results),
                    ordered: true,
                    op: "multi");
                break;
            case MultiGetChildren c:
                Request(
                    session => _network.Server.MultiGetChildren(session, c.Paths) is var (error, results) ? new MultiReadCompleted(id, error, results) : null!,
                    error => new MultiReadCompleted(id, error, ImmutableArray<ChildrenResult>.Empty),
                    sink.Complete,
                    replyBytes: reply => ReplySize.MultiRead(reply.Results),
                    op: "multiRead of children",
                    inside: (reply, index, code) => reply.Results.IsDefaultOrEmpty
                        ? reply
                        : reply with { Results = reply.Results.SetItem(index % reply.Results.Length, new ChildrenResult(code, ImmutableArray<string>.Empty)) });
                break;
            case MultiGetStat c:
                Request(
                    session => _network.Server.MultiGetStat(session, c.Paths) is var (error, results) ? new StatsCompleted(id, error, results) : null!,
                    error => new StatsCompleted(id, error, ImmutableArray<StatResult>.Empty),
                    sink.Complete,
                    replyBytes: reply => ReplySize.MultiStat(reply.Results),
                    op: "multiRead of stats",
                    inside: (reply, index, code) => reply.Results.IsDefaultOrEmpty
                        ? reply
                        : reply with { Results = reply.Results.SetItem(index % reply.Results.Length, new StatResult(code, 0)) });
                break;
            case MultiGetData c:
                Request(
                    session => _network.Server.MultiGetData(session, c.Paths) is var (error, results) ? new DataCompleted(id, error, results) : null!,
                    error => new DataCompleted(id, error, ImmutableArray<DataResult>.Empty),
                    sink.Complete,
                    replyBytes: reply => ReplySize.MultiData(reply.Results),
                    op: "multiRead of data",
                    inside: (reply, index, code) => reply.Results.IsDefaultOrEmpty
                        ? reply
                        : reply with { Results = reply.Results.SetItem(index % reply.Results.Length, new DataResult(code, ImmutableArray<byte>.Empty)) });
                break;
            default:
                throw new ArgumentException($"The request {request} is not one the simulated client knows.", nameof(request));
        }
    }

    /// <inheritdoc />
    public void Sync(string path, Action<ZooKeeperError> answered)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(answered);
        Request(session => _network.Server.Sync(session), error => error, answered, ordered: true, op: "sync", path: path);
    }

    /// <summary>Creates a node (the model keeps no ACLs); for the kazoo-like members, tests and tools that drive a session by hand.</summary>
    public Task<CreateCompleted> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind) =>
        Awaited<CreateCompleted>(new CreateNode(0, path, [.. data.Span], kind, PartyAcl.OpenUnsafe.Node));

    /// <summary>Deletes a node, any version; the answer's code.</summary>
    public async Task<ZooKeeperError> DeleteAsync(string path) => (await Awaited<DeleteCompleted>(new DeleteNode(0, path))).Error;

    /// <summary>Lists children; when <paramref name="watch"/> is given and the read succeeds, leaves a children watch.</summary>
    public Task<ChildrenCompleted> GetChildrenAsync(string path, Action<WatchEventKind>? watch) =>
        Awaited<ChildrenCompleted>(new GetChildren(0, path, watch is not null), watch);

    /// <summary>Ok when the node exists, NoNode when not; the watch is left in both cases (ZooKeeper's exists semantics).</summary>
    public async Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) =>
        (await Awaited<ExistsCompleted>(new Exists(0, path, watch is not null), watch)).Error;

    /// <summary>An atomic batch of writes.</summary>
    public Task<MultiCompleted> MultiAsync(ImmutableArray<WriteOp> ops) => Awaited<MultiCompleted>(new Multi(0, ops));

    /// <summary>A batch of children reads in one request, without watches.</summary>
    public Task<MultiReadCompleted> MultiGetChildrenAsync(ImmutableArray<string> paths) => Awaited<MultiReadCompleted>(new MultiGetChildren(0, paths));

    /// <summary>A sync; Ok once the leader has answered it.</summary>
    public Task<ZooKeeperError> SyncAsync(string path)
    {
        // No RunContinuationsAsynchronously: continuations run inline, inside the scheduler step.
        var completion = new TaskCompletionSource<ZooKeeperError>();
        Sync(path, error => completion.TrySetResult(error));
        return completion.Task;
    }

    private Task<T> Awaited<T>(ZooKeeperCommand request, Action<WatchEventKind>? watch = null)
        where T : OperationCompleted
    {
        var sink = new AwaitedRequest<T>(watch);
        Send(request, sink);
        return sink.Task;
    }

    /// <summary>
    /// Sends one request. <paramref name="op"/> and <paramref name="path"/> name it in the timeline when the leader
    /// answers it with an injected transient code (<see cref="Transients"/>); <paramref name="inside"/> puts such a
    /// code into one read of a multiRead (given a random index and the code). <paramref name="complete"/> gets the
    /// answer inside the scheduler step that delivers it, never inside this call.
    /// </summary>
    private void Request<T>(
        Func<long, T> atServer,
        Func<ZooKeeperError, T> failed,
        Action<T> complete,
        Func<T, int>? replyBytes = null,
        Action<T>? onReply = null,
        bool ordered = false,
        string op = "request",
        string? path = null,
        Func<T, int, ZooKeeperError, T>? inside = null)
    {
        if (State != ClientState.Connected || _connection is null)
        {
            var error = State is ClientState.Expired or ClientState.Closed ? ZooKeeperError.SessionExpired : ZooKeeperError.ConnectionLoss;
            Scheduler.Schedule(TimeSpan.Zero, () => complete(failed(error)), _process);
            return;
        }

        int xid = _nextXid++;
        _pending.Enqueue(new PendingRequest(xid, _clock.GetTimestamp(), error => complete(failed(error))));
        _lastSendTicks = Scheduler.NowTicks;
        var open = _connection;
        long id = SessionId;
        open.SendToServer(() => open.ServeAtLeader(id, ordered, () =>
        {
            var server = _network.Server;
            T reply;
            if (Transients?.Draw(_process.Name, op, path, write: ordered && op != "sync", multiRead: inside is not null) is { } transient)
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
                complete(reply);
            });
        }));
    }

    private void OnReply(SimConnection from, int xid, long zxid, int bytes, Action complete)
    {
        if (!ReferenceEquals(from, _connection) || State != ClientState.Connected)
        {
            return;
        }


        // The paired check of a FIFO connection: a reply answers the oldest request still waiting.
        if (!_pending.TryPeek(out var head) || head.Xid != xid)
        {
            throw new InvalidOperationException($"reply xid {xid} does not match the head of the pending queue ({head?.Xid.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "empty"})");
        }

        if (zxid < LastZxid)
        {
            throw new InvalidOperationException($"zxid went backwards: {zxid} < {LastZxid}");
        }

        _pending.Dequeue();
        LastZxid = zxid;
        Confirmed(head.SentTimestamp);

        // The real client reads past a reply over its frame limit without keeping it and fails that request
        // alone (ReplyTooLargeException, ZooKeeper's MarshallingError); the connection stays up.
        if (bytes > _network.FrameBytesMax)
        {
            Log($"a reply of {bytes} bytes is over the {_network.FrameBytesMax}-byte frame limit: its request fails");
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

    /// <summary>A request sent by an awaitable form: its answer completes a task, inside the scheduler step.</summary>
    private sealed class AwaitedRequest<T>(Action<WatchEventKind>? watch) : IRequestSink
        where T : OperationCompleted
    {
        // No RunContinuationsAsynchronously: continuations run inline, inside the scheduler step.
        private readonly TaskCompletionSource<T> _completion = new();

        public Task<T> Task => _completion.Task;

        public void Complete(OperationCompleted completed) => _completion.TrySetResult((T)completed);

        public void Notify(WatchFired fired) => watch?.Invoke(fired.Kind);
    }

    private enum WatchKind
    {
        Data,
        Exist,
        Child,
    }

    /// <summary>The client's one-shot watchers by kind and path, in registration order.</summary>
    private sealed class WatchTable
    {
        private readonly SortedDictionary<string, List<Action<WatchEventKind>>>[] _tables =
        [
            new(StringComparer.Ordinal),
            new(StringComparer.Ordinal),
            new(StringComparer.Ordinal),
        ];

        public void Add(WatchKind kind, string path, Action<WatchEventKind> watcher)
        {
            var table = _tables[(int)kind];
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
            foreach (var table in _tables)
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
            new(lastZxid, _tables[0].Keys.ToArray(), _tables[1].Keys.ToArray(), _tables[2].Keys.ToArray());

        private void TakeFrom(WatchKind kind, string path, List<Action<WatchEventKind>> into)
        {
            if (_tables[(int)kind].Remove(path, out var list))
            {
                into.AddRange(list);
            }
        }
    }
}
