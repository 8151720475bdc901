using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.ZooKeeper.Port;

/// <summary>What the session did, as the shell needs to know it.</summary>
public enum SessionChange
{
    /// <summary>The connection was lost; the session may still be alive.</summary>
    Suspended,

    /// <summary>Connected again with the same session.</summary>
    Reconnected,

    /// <summary>The session is gone: expired or closed.</summary>
    Expired,

    /// <summary>The server refused the session's credentials and closed it; the session is gone.</summary>
    AuthFailed,
}

/// <summary>The outcome of a create; <see cref="CreatedZxid"/> is the node's creation zxid when the server gave it with the reply.</summary>
public readonly record struct CreateOutcome(ZooKeeperError Error, string? CreatedPath, long? CreatedZxid = null);

/// <summary>The outcome of a children read; <see cref="Children"/> is empty unless <see cref="Error"/> is Ok.</summary>
public readonly record struct ChildrenOutcome(ZooKeeperError Error, ImmutableArray<string> Children);

/// <summary>The outcome of a multi: per-op results (empty when the whole request failed, e.g. ConnectionLoss).</summary>
public readonly record struct MultiOutcome(ZooKeeperError Error, ImmutableArray<WriteResult> Results);

/// <summary>The outcome of a multiRead of children lists: one result per path (empty when the whole request failed).</summary>
public readonly record struct MultiReadOutcome(ZooKeeperError Error, ImmutableArray<ChildrenResult> Results);

/// <summary>The outcome of a multiRead of stats: one result per path (empty when the whole request failed).</summary>
public readonly record struct MultiStatOutcome(ZooKeeperError Error, ImmutableArray<StatResult> Results);

/// <summary>The outcome of a multiRead of data: one result per path (empty when the whole request failed).</summary>
public readonly record struct MultiDataOutcome(ZooKeeperError Error, ImmutableArray<DataResult> Results);

/// <summary>
/// The small slice of ZooKeeper that the shell needs, defined here so that the real client
/// (through an adapter) and the simulator's in-memory ZooKeeper can both sit behind it.
/// </summary>
/// <remarks>
/// Rules every implementation keeps:
/// <list type="bullet">
/// <item>Methods never throw for a ZooKeeper outcome: every error, ConnectionLoss and SessionExpired
/// included, comes back as a code. They throw only for programming errors (a null argument).</item>
/// <item>Requests of one session complete in the order they were issued.</item>
/// <item>A watch callback is called at most once. A server notification is delivered before the
/// completion of the write that caused it, when both reach the same session.</item>
/// <item>An implementation may complete tasks and call callbacks on any thread; the simulator does
/// both on its one scheduler thread, synchronously, which is what makes a run replayable.</item>
/// </list>
/// </remarks>
public interface IZooKeeperPort
{
    /// <summary>The negotiated session timeout (the requested one before the first connect).</summary>
    TimeSpan SessionTimeout { get; }

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the latest request or ping was SENT whose reply
    /// has come back, by the member's own clock: the last instant the member knows the server still had its
    /// session. Watch notifications, and replies that waited in the socket while the process was paused,
    /// must not move it later than their request's send time. It is the client's notion of "the server I talk
    /// to answered", which a follower cut from the leader keeps up; the shell's claims rest on what the leader
    /// answered instead (syncs and writes, see <c>LeaderConfirmation</c>).
    /// </summary>
    long LastConfirmedTimestamp { get; }

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the connect request of the latest accepted handshake
    /// was sent; null before the first. A server accepts a connect only after the leader created or revalidated
    /// the session, so it is an instant the leader is known to have heard of the session after. It must be
    /// up to date when <see cref="SessionChange.Reconnected"/> is raised.
    /// </summary>
    long? AcceptedConnectTimestamp { get; }

    /// <summary>Raised on each session change, in order.</summary>
    event Action<SessionChange>? SessionChanged;

    /// <summary>Creates a node with the ACL <paramref name="acl"/>.</summary>
    Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl);

    /// <summary>Deletes a node, any version.</summary>
    Task<ZooKeeperError> DeleteAsync(string path);

    /// <summary>Lists children; when <paramref name="watch"/> is given and the read succeeds, leaves a children watch.</summary>
    Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch);

    /// <summary>Ok when the node exists, NoNode when not; the watch is left in both cases (ZooKeeper's exists semantics).</summary>
    Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch);

    /// <summary>An atomic batch of writes.</summary>
    Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops);

    /// <summary>A batch of children reads in one request, without watches.</summary>
    Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths);

    /// <summary>
    /// ZooKeeper's sync: the server forwards it to the leader and answers (Ok) only after the leader has. The
    /// shell sends one on its own schedule to learn that the leader still hears of the session; see
    /// <c>LeaderConfirmation</c>.
    /// </summary>
    Task<ZooKeeperError> SyncAsync(string path);

    /// <summary>A batch of stat reads in one request (multiRead of getData), without watches: each node's creation zxid.</summary>
    Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths);

    /// <summary>A batch of data reads in one request (multiRead of getData), without watches: each node's data.</summary>
    Task<MultiDataOutcome> MultiGetDataAsync(ImmutableArray<string> paths);
}
