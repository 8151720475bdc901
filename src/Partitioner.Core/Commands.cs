using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>How a node is created. The numbers are ZooKeeper's create flags.</summary>
public enum NodeKind
{
    /// <summary>A node that lives until it is deleted.</summary>
    Persistent = 0,

    /// <summary>A node that is deleted when the session that created it ends.</summary>
    Ephemeral = 1,

    /// <summary>An ephemeral node whose name the server ends with a 10-digit sequence number.</summary>
    EphemeralSequential = 3,
}

/// <summary>
/// What Core asks the shell to do. Every ZooKeeper command carries an operation id; the
/// shell hands its outcome back as an event with the same id, so that Core can tell a
/// current answer from a stale one. Commands do not wait on each other: the shell sends
/// them all at once, and ZooKeeper answers one session's requests in the order sent.
/// </summary>
public abstract record Command;

/// <summary>A command that is a ZooKeeper request; its result comes back with <see cref="OpId"/>.</summary>
public abstract record ZooKeeperCommand(long OpId) : Command;

/// <summary>
/// Create <paramref name="Path"/> with the ACL <paramref name="Acl"/> (chosen by Core from <see cref="PartitionerConfig.Acl"/>
/// by what the node is for). The result is an <see cref="CreateCompleted"/>.
/// </summary>
public sealed record CreateNode(long OpId, string Path, ImmutableArray<byte> Data, NodeKind Kind, ImmutableArray<AclEntry> Acl) : ZooKeeperCommand(OpId);

/// <summary>Delete <paramref name="Path"/> whatever its version. The result is a <see cref="DeleteCompleted"/>.</summary>
public sealed record DeleteNode(long OpId, string Path) : ZooKeeperCommand(OpId);

/// <summary>
/// List the children of <paramref name="Path"/>, optionally leaving a one-shot children watch.
/// The result is a <see cref="ChildrenCompleted"/>; the watch, when it fires, a <see cref="WatchFired"/>
/// carrying this command's <see cref="ZooKeeperCommand.OpId"/>.
/// </summary>
public sealed record GetChildren(long OpId, string Path, bool Watch) : ZooKeeperCommand(OpId);

/// <summary>
/// Ask whether <paramref name="Path"/> exists, optionally leaving a one-shot watch that fires when the
/// node is created, changed or deleted (ZooKeeper arms it even when the node does not exist).
/// The result is an <see cref="ExistsCompleted"/>; the watch a <see cref="WatchFired"/>.
/// </summary>
public sealed record Exists(long OpId, string Path, bool Watch) : ZooKeeperCommand(OpId);

/// <summary>One write inside a <see cref="Multi"/>.</summary>
public abstract record WriteOp(string Path);

/// <summary>A create inside a <see cref="Multi"/>, with the ACL <paramref name="Acl"/>.</summary>
public sealed record CreateOp(string Path, ImmutableArray<byte> Data, NodeKind Kind, ImmutableArray<AclEntry> Acl) : WriteOp(Path);

/// <summary>A delete (any version) inside a <see cref="Multi"/>.</summary>
public sealed record DeleteOp(string Path) : WriteOp(Path);

/// <summary>
/// An atomic batch of writes: all take effect or none does. The result is a <see cref="MultiCompleted"/>
/// with one result per op.
/// </summary>
public sealed record Multi(long OpId, ImmutableArray<WriteOp> Ops) : ZooKeeperCommand(OpId);

/// <summary>
/// A batch of children lists read in one request (ZooKeeper's multiRead, 3.6+), without watches.
/// Each read succeeds or fails on its own. The result is a <see cref="MultiReadCompleted"/>.
/// </summary>
public sealed record MultiGetChildren(long OpId, ImmutableArray<string> Paths) : ZooKeeperCommand(OpId);

/// <summary>
/// Reads the stat of each node in <paramref name="Paths"/> in one request (ZooKeeper's multiRead of getData,
/// without watches), for the nodes' creation zxids. The result is a <see cref="StatsCompleted"/>.
/// </summary>
public sealed record MultiGetStat(long OpId, ImmutableArray<string> Paths) : ZooKeeperCommand(OpId);

/// <summary>
/// Reads the data of each node in <paramref name="Paths"/> in one request (ZooKeeper's multiRead of getData, without
/// watches): in cooperative mode, the party nodes' data, where each member declares its mode, partition function and
/// item set, compared after each stability wait.
/// The result is a <see cref="DataCompleted"/>.
/// </summary>
public sealed record MultiGetData(long OpId, ImmutableArray<string> Paths) : ZooKeeperCommand(OpId);

/// <summary>Start a timer; when <paramref name="Due"/> has passed the shell hands back a <see cref="TimerFired"/>.</summary>
public sealed record StartTimer(long TimerId, TimeSpan Due) : Command;

/// <summary>Cancel a timer. A <see cref="TimerFired"/> for it that was already queued is ignored by Core.</summary>
public sealed record CancelTimer(long TimerId) : Command;
