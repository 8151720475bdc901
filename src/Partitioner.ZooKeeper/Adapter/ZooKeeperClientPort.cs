using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;
using ZooKeeper.Client;
using ClientCreateOp = ZooKeeper.Client.CreateOp;
using ClientDeleteOp = ZooKeeper.Client.DeleteOp;
using CoreCreateOp = Partitioner.Core.CreateOp;
using CoreDeleteOp = Partitioner.Core.DeleteOp;

namespace Partitioner.ZooKeeper.Adapter;

/// <summary>
/// The shell's port over a connected <see cref="ZooKeeperClient"/>: it sends Core's requests and answers each with
/// Core's event, every ZooKeeper outcome as a <see cref="ZooKeeperError"/> code; answers, watches and session changes
/// come on the client's dispatcher in the order the server produced them; nodes are created with the ACL each of
/// Core's commands carries.
/// </summary>
/// <remarks>
/// The port does not own the client: closing the client is the caller's job. It listens to the client's
/// session events only while someone listens to <see cref="SessionChanged"/>, so a finished partitioner
/// leaves nothing attached to a client that lives on.
/// </remarks>
public sealed class ZooKeeperClientPort : IZooKeeperPort
{
    private readonly ZooKeeperClient _client;
    private readonly object _handlersGate = new();
    private Action<SessionChange>? _handlers;
    private (ImmutableArray<AclEntry> Core, IReadOnlyList<Acl> Client)[] _aclCache = [];

    /// <summary>How many converted ACL lists are kept; Core uses three.</summary>
    private const int AclCacheEntriesMax = 4;

    /// <summary>Creates a port over <paramref name="client"/>, which should be connected.</summary>
    /// <param name="client">The session to work through; the port neither connects nor closes it.</param>
    public ZooKeeperClientPort(ZooKeeperClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        _client = client;
    }

    /// <inheritdoc/>
    public TimeSpan SessionTimeout => _client.NegotiatedTimeout;

    /// <summary>
    /// When the session was last confirmed alive: the sending time of the latest request or ping the server has
    /// answered (<see cref="ZooKeeperClient.LastConfirmedTimestamp"/>). Not the time bytes last arrived: a process
    /// resumed after a pause reads the watch events that the server sent while expiring its session, and those
    /// must not make it believe it still owns anything.
    /// </summary>
    public long LastConfirmedTimestamp => _client.LastConfirmedTimestamp;

    /// <inheritdoc/>
    public long? AcceptedConnectTimestamp => _client.AcceptedConnectTimestamp;

    /// <inheritdoc/>
    /// <remarks>A listener added while the client is already suspended or ended hears that at once.</remarks>
    public event Action<SessionChange>? SessionChanged
    {
        add => AddHandler(value);
        remove => RemoveHandler(value);
    }

    /// <inheritdoc/>
    /// <remarks>The client's dispatcher calls back, in reply order with the watches and session events.</remarks>
    public PortCallbacks Callbacks => PortCallbacks.DecideOnThreadPool;

    /// <inheritdoc/>
    /// <remarks>
    /// Each request goes out through the client's ordered-callback form, so its answer is a code (an expected NoNode or
    /// NodeExists costs no exception) delivered on the client's dispatcher in reply order: this is the one place where
    /// the client's replies become Core's events. A closed client answers SessionExpired, in its turn.
    /// </remarks>
    public void Send(ZooKeeperCommand request, IRequestSink sink)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(sink);
        var id = request.OpId;
        switch (request)
        {
            case CreateNode c:
                _client.Create(c.Path, AsMemory(c.Data), ToMode(c.Kind), ToClientAcl(c.Acl),
                    r => sink.Complete(new CreateCompleted(id, ErrorCodes.ToCore(r.Error), r.Succeeded ? r.Value : null)));
                break;
            case DeleteNode c:
                _client.Delete(c.Path, -1, r => sink.Complete(new DeleteCompleted(id, ErrorCodes.ToCore(r.Error))));
                break;
            case GetChildren c:
                _client.GetChildren(c.Path, Watcher(c.Watch, id, c.Path, sink), r => sink.Complete(r.Succeeded
                    ? new ChildrenCompleted(id, ZooKeeperError.Ok, [.. r.Value!])
                    : new ChildrenCompleted(id, ErrorCodes.ToCore(r.Error), ImmutableArray<string>.Empty)));
                break;
            case Exists c:
                _client.Exists(c.Path, Watcher(c.Watch, id, c.Path, sink), r => sink.Complete(new ExistsCompleted(id, ErrorCodes.ToCore(r.Error))));
                break;
            case Multi c:
                _client.Multi([.. c.Ops.Select(ToClientOp)], r => sink.Complete(r.Succeeded
                    ? ToCompleted(id, r.Value!)
                    : new MultiCompleted(id, ErrorCodes.ToCore(r.Error), ImmutableArray<WriteResult>.Empty)));
                break;
            case MultiGetChildren c:
                _client.MultiRead([.. c.Paths.Select(ReadOp.GetChildren)], r => sink.Complete(r.Succeeded
                    ? new MultiReadCompleted(id, ZooKeeperError.Ok, [.. r.Value!.Select(ToChildrenResult)])
                    : new MultiReadCompleted(id, ErrorCodes.ToCore(r.Error), ImmutableArray<ChildrenResult>.Empty)));
                break;
            case MultiGetStat c:
                _client.MultiRead([.. c.Paths.Select(ReadOp.GetData)], r => sink.Complete(r.Succeeded
                    ? new StatsCompleted(id, ZooKeeperError.Ok, [.. r.Value!.Select(ToStatResult)])
                    : new StatsCompleted(id, ErrorCodes.ToCore(r.Error), ImmutableArray<StatResult>.Empty)));
                break;
            case MultiGetData c:
                _client.MultiRead([.. c.Paths.Select(ReadOp.GetData)], r => sink.Complete(r.Succeeded
                    ? new DataCompleted(id, ZooKeeperError.Ok, [.. r.Value!.Select(ToDataResult)])
                    : new DataCompleted(id, ErrorCodes.ToCore(r.Error), ImmutableArray<DataResult>.Empty)));
                break;
            default:
                throw new ArgumentException($"The request {request} is not one the port knows.", nameof(request));
        }
    }

    /// <inheritdoc/>
    public void Sync(string path, Action<ZooKeeperError> answered)
    {
        ArgumentNullException.ThrowIfNull(answered);
        _client.Sync(path, r => answered(ErrorCodes.ToCore(r.Error)));
    }

    private static ReadOnlyMemory<byte> AsMemory(ImmutableArray<byte> data) =>
        data.IsDefault ? ReadOnlyMemory<byte>.Empty : data.AsMemory();

    private static Action<WatchedEvent>? Watcher(bool watch, long id, string path, IRequestSink sink) =>
        watch ? e => sink.Notify(new WatchFired(id, path, ToKind(e.Type))) : null;

    /// <summary>A session event (the client ending the session) fires every watch with no node event: re-read.</summary>
    private static WatchEventKind ToKind(EventType type) => type switch
    {
        EventType.NodeCreated => WatchEventKind.NodeCreated,
        EventType.NodeDeleted => WatchEventKind.NodeDeleted,
        EventType.NodeDataChanged => WatchEventKind.NodeDataChanged,
        EventType.NodeChildrenChanged => WatchEventKind.NodeChildrenChanged,
        _ => WatchEventKind.Disconnected,
    };

    private static CreateMode ToMode(NodeKind kind) => kind switch
    {
        NodeKind.Persistent => CreateMode.Persistent,
        NodeKind.Ephemeral => CreateMode.Ephemeral,
        NodeKind.EphemeralSequential => CreateMode.EphemeralSequential,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Not a node kind the port knows."),
    };

    private Op ToClientOp(WriteOp op) => op switch
    {
        CoreCreateOp c => new ClientCreateOp(c.Path, c.Data.IsDefault ? ReadOnlyMemory<byte>.Empty : c.Data.AsMemory(), ToMode(c.Kind), ToClientAcl(c.Acl)),
        CoreDeleteOp d => new ClientDeleteOp(d.Path, -1),
        _ => throw new ArgumentException($"The write {op} is not one the port knows.", nameof(op)),
    };

    /// <summary>
    /// The client's form of Core's ACL. Core always gives one (from <see cref="PartitionerConfig.Acl"/>); an empty
    /// list is passed on, and the server refuses it with InvalidAcl rather than the port opening the node.
    /// </summary>
    /// <remarks>
    /// Core hands the same three lists (one per kind of node) to every create, so the last few conversions are
    /// kept by reference: a member creating 100,000 lock nodes converts its lists once, not per node.
    /// </remarks>
    private IReadOnlyList<Acl> ToClientAcl(ImmutableArray<AclEntry> acl)
    {
        if (acl.IsDefaultOrEmpty)
        {
            return [];
        }

        var cache = Volatile.Read(ref _aclCache);
        foreach (var (core, client) in cache)
        {
            if (core == acl)
            {
                return client;
            }
        }

        IReadOnlyList<Acl> converted = [.. acl.Select(e => new Acl((Perms)(int)e.Perms, new Id(e.Scheme, e.Id)))];
        Volatile.Write(ref _aclCache, [(acl, converted), .. cache.Take(AclCacheEntriesMax - 1)]);
        return converted;
    }

    // A node created by a multi that applied has the multi's transaction zxid as its creation zxid: with it, Core
    // needs no stat read for the fencing token of a lock node created in a multi.
    private static MultiCompleted ToCompleted(long id, MultiResult result) =>
        new(id, ErrorCodes.ToCore(result.Error), [.. result.Results.Select(op => ToWriteResult(op, result.Zxid > 0 ? result.Zxid : null))]);

    private static WriteResult ToWriteResult(OpResult result, long? multiZxid) => result switch
    {
        CreateResult created => new WriteResult(ZooKeeperError.Ok, created.Path, created.Stat?.Czxid ?? multiZxid),
        ErrorResult error => new WriteResult(ErrorCodes.ToCore(error.Error), null),
        _ => new WriteResult(ZooKeeperError.Ok, null),
    };

    private static StatResult ToStatResult(ReadResult result) => result switch
    {
        DataReadResult data => new StatResult(ZooKeeperError.Ok, data.Stat.Czxid),
        ChildrenReadResult => new StatResult(ZooKeeperError.SystemError, 0),
        _ => new StatResult(ErrorCodes.ToCore(result.Error), 0),
    };

    private static DataResult ToDataResult(ReadResult result) => result switch
    {
        DataReadResult data => new DataResult(ZooKeeperError.Ok, [.. data.Data]),
        ChildrenReadResult => new DataResult(ZooKeeperError.SystemError, ImmutableArray<byte>.Empty),
        _ => new DataResult(ErrorCodes.ToCore(result.Error), ImmutableArray<byte>.Empty),
    };

    private static ChildrenResult ToChildrenResult(ReadResult result) => result switch
    {
        ChildrenReadResult children => new ChildrenResult(ZooKeeperError.Ok, [.. children.Children]),
        _ => new ChildrenResult(ErrorCodes.ToCore(result.Error), ImmutableArray<string>.Empty),
    };

    private void AddHandler(Action<SessionChange>? handler)
    {
        if (handler is null)
        {
            return;
        }

        // A session that ended before anyone listened is reported to this listener alone, once: nothing can
        // follow the end, and the client's own event for it may still be on its way to the listeners, so a
        // listener added now must not be among them (it would hear the end twice).
        var condition = CurrentCondition(_client.State);
        if (condition is SessionChange.Expired or SessionChange.AuthFailed)
        {
            handler(condition.Value);
            return;
        }

        bool first;
        lock (_handlersGate)
        {
            first = _handlers is null;
            _handlers += handler;
        }

        if (first)
        {
            _client.StateChanged += OnClientStateChanged;
        }

        // A lost connection from before anyone listened would otherwise never be reported.
        if (condition is { } suspended)
        {
            handler(suspended);
        }
    }

    private void RemoveHandler(Action<SessionChange>? handler)
    {
        bool last;
        lock (_handlersGate)
        {
            var had = _handlers is not null;
            _handlers -= handler;
            last = had && _handlers is null;
        }

        if (last)
        {
            _client.StateChanged -= OnClientStateChanged;
        }
    }

    private static SessionChange? CurrentCondition(ZooKeeperState state) => state switch
    {
        ZooKeeperState.Suspended => SessionChange.Suspended,
        ZooKeeperState.AuthFailed => SessionChange.AuthFailed,
        ZooKeeperState.Expired or ZooKeeperState.Closed => SessionChange.Expired,
        _ => null,
    };

    private void OnClientStateChanged(SessionEvent sessionEvent)
    {
        SessionChange? change = sessionEvent switch
        {
            SessionEvent.Suspended => SessionChange.Suspended,
            SessionEvent.Reconnected => SessionChange.Reconnected,
            SessionEvent.AuthFailed => SessionChange.AuthFailed,
            SessionEvent.Expired or SessionEvent.Closed => SessionChange.Expired,
            _ => null,
        };
        if (change is { } value)
        {
            // On the client's dispatcher, in order with the replies and watches.
            Volatile.Read(ref _handlers)?.Invoke(value);
        }
    }
}
