using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// What happens to a member: results of its ZooKeeper commands, watch notifications, timers,
/// session state and the user's requests. Every input to <see cref="Decider.Decide"/> is one of these.
/// </summary>
public abstract record Event;

/// <summary>The result of a command with <see cref="OpId"/>.</summary>
public abstract record OperationCompleted(long OpId, ZooKeeperError Error) : Event;

/// <summary>
/// The result of <see cref="CreateNode"/>. <paramref name="CreatedPath"/> is the node's full path
/// (with the sequence suffix for sequential nodes) when <paramref name="Error"/> is Ok, else null.
/// <paramref name="CreatedZxid"/> is the node's creation zxid when the server gave it with the reply
/// (a create2), else null.
/// </summary>
public sealed record CreateCompleted(long OpId, ZooKeeperError Error, string? CreatedPath, long? CreatedZxid = null) : OperationCompleted(OpId, Error);

/// <summary>The result of <see cref="DeleteNode"/>.</summary>
public sealed record DeleteCompleted(long OpId, ZooKeeperError Error) : OperationCompleted(OpId, Error);

/// <summary>The result of <see cref="GetChildren"/>: bare child names in no particular order.</summary>
public sealed record ChildrenCompleted(long OpId, ZooKeeperError Error, ImmutableArray<string> Children) : OperationCompleted(OpId, Error);

/// <summary>The result of <see cref="Exists"/>: Ok when the node exists, NoNode when it does not.</summary>
public sealed record ExistsCompleted(long OpId, ZooKeeperError Error) : OperationCompleted(OpId, Error);

/// <summary>
/// One op's result inside a <see cref="MultiCompleted"/>. <paramref name="CreatedPath"/> is set for
/// a successful create. In a failed multi every op carries a code: Ok for the ops before the one that
/// failed (not applied), the failing op's code, and RuntimeInconsistency for the ops after it.
/// <paramref name="CreatedZxid"/> is a created node's creation zxid when the server returned its stat
/// (ZooKeeper 3.8 answers a create inside a multi with the path only, so there it is null).
/// </summary>
public sealed record WriteResult(ZooKeeperError Error, string? CreatedPath, long? CreatedZxid = null);

/// <summary>
/// The result of <see cref="Multi"/>. <paramref name="Error"/> is Ok when every op was applied;
/// otherwise the first failing op's code (ConnectionLoss when the outcome is unknown, with
/// <paramref name="Results"/> empty).
/// </summary>
public sealed record MultiCompleted(long OpId, ZooKeeperError Error, ImmutableArray<WriteResult> Results) : OperationCompleted(OpId, Error);

/// <summary>One read's result inside a <see cref="MultiReadCompleted"/>.</summary>
public sealed record ChildrenResult(ZooKeeperError Error, ImmutableArray<string> Children);

/// <summary>
/// The result of <see cref="MultiGetChildren"/>: one result per path, in the order asked.
/// <paramref name="Error"/> is not Ok only when the whole request failed (then <paramref name="Results"/> is empty).
/// </summary>
public sealed record MultiReadCompleted(long OpId, ZooKeeperError Error, ImmutableArray<ChildrenResult> Results) : OperationCompleted(OpId, Error);

/// <summary>
/// One node's result inside a <see cref="StatsCompleted"/>: its creation zxid when <paramref name="Error"/> is Ok
/// (0 otherwise).
/// </summary>
public sealed record StatResult(ZooKeeperError Error, long CreatedZxid);

/// <summary>
/// The result of <see cref="MultiGetStat"/>: one result per path, in the order asked.
/// <paramref name="Error"/> is not Ok only when the whole request failed (then <paramref name="Results"/> is empty).
/// </summary>
public sealed record StatsCompleted(long OpId, ZooKeeperError Error, ImmutableArray<StatResult> Results) : OperationCompleted(OpId, Error);

/// <summary>One node's result inside a <see cref="DataCompleted"/>: its data when <paramref name="Error"/> is Ok (empty otherwise).</summary>
public sealed record DataResult(ZooKeeperError Error, ImmutableArray<byte> Data);

/// <summary>
/// The result of <see cref="MultiGetData"/>: one result per path, in the order asked.
/// <paramref name="Error"/> is not Ok only when the whole request failed (then <paramref name="Results"/> is empty).
/// </summary>
public sealed record DataCompleted(long OpId, ZooKeeperError Error, ImmutableArray<DataResult> Results) : OperationCompleted(OpId, Error);

/// <summary>What a watch notification says happened.</summary>
public enum WatchEventKind
{
    /// <summary>The client lost its connection and dropped the watch without a server event; re-read.</summary>
    Disconnected = -1,
    /// <summary>The node was created.</summary>
    NodeCreated = 1,
    /// <summary>The node was deleted.</summary>
    NodeDeleted = 2,
    /// <summary>The node's data changed.</summary>
    NodeDataChanged = 3,
    /// <summary>The node's children changed.</summary>
    NodeChildrenChanged = 4,
}

/// <summary>
/// A one-shot watch left by the command <paramref name="OpId"/> fired. The shell reports each
/// watch once, with the id of the command that left it; Core ignores watches it no longer needs.
/// </summary>
public sealed record WatchFired(long OpId, string Path, WatchEventKind Kind) : Event;

/// <summary>The timer started by <see cref="StartTimer"/> with <paramref name="TimerId"/> is due.</summary>
public sealed record TimerFired(long TimerId) : Event;

/// <summary>The connection was lost; the session may still be alive.</summary>
public sealed record SessionSuspended : Event;

/// <summary>The connection is back with the same session: ephemeral nodes and locks are still there.</summary>
public sealed record SessionReconnected : Event;

/// <summary>The session is gone (expired, closed or refused): its ephemeral nodes and locks are gone too.</summary>
public sealed record SessionExpired : Event;

/// <summary>
/// ZooKeeper refused the session's credentials (AuthFailed) and closed it: its ephemeral nodes are gone, and
/// retrying with the same credentials would be refused again.
/// </summary>
public sealed record SessionAuthFailed : Event;

/// <summary>The user asks to release the acquired set (after <see cref="PartitionState.Release"/>, or at any time).</summary>
public sealed record ReleaseRequested : Event;

/// <summary>The user asks to finish: release every lock, leave the party, end in <see cref="PartitionState.Failure"/>.</summary>
public sealed record FinishRequested : Event;
