namespace Partitioner.ZooKeeper;

/// <summary>How an item's ownership changed (<see cref="ItemOwnershipChangedEventArgs.Change"/>).</summary>
public enum ItemOwnershipChange
{
    /// <summary>The member owns the item, with the fencing token given: start its work.</summary>
    Assigned,

    /// <summary>
    /// An orderly hand-off: the item leaves the member's share while its lock is still held. Its work may finish its
    /// step and commit. In cooperative mode the lock node goes once the work has returned; see
    /// <see cref="SetPartitioner.ItemOwnershipChanged"/> for when that is.
    /// </summary>
    Revoked,

    /// <summary>The member can no longer trust that it owns the item (connection lost, session expired, Failure, claim window passed): its work must not commit.</summary>
    Lost,
}

/// <summary>An item was assigned to this member, revoked from it, or lost.</summary>
/// <param name="item">The item.</param>
/// <param name="fencingToken">The fencing token of the ownership that began or ended.</param>
/// <param name="change">What happened.</param>
public sealed class ItemOwnershipChangedEventArgs(string item, long fencingToken, ItemOwnershipChange change) : EventArgs
{
    /// <summary>The item.</summary>
    public string Item { get; } = item;

    /// <summary>The fencing token of the ownership that began (<see cref="ItemOwnershipChange.Assigned"/>) or ended.</summary>
    public long FencingToken { get; } = fencingToken;

    /// <summary>What happened.</summary>
    public ItemOwnershipChange Change { get; } = change;
}
