namespace Partitioner.ZooKeeper;

/// <summary>Why an item's work was told to stop (<see cref="ItemWork.StopReason"/>).</summary>
public enum ItemStopReason
{
    /// <summary>Not told to stop: <see cref="ItemWork.Stopping"/> is not cancelled.</summary>
    None,

    /// <summary>
    /// An orderly hand-off: the item is leaving this member's share while the member still holds its lock, and its lock
    /// node goes only once the work has returned. The work may finish its step and commit it (with its fencing token).
    /// </summary>
    Revoked,

    /// <summary>
    /// The member can no longer trust that it owns the item: the connection was lost, the session expired, the member
    /// failed, or the leader has not confirmed the session within the claim window. Another member may own it already:
    /// the work must not commit.
    /// </summary>
    Lost,

    /// <summary>The loop of <see cref="SetPartitioner.RunItemsAsync"/> is stopping (its token was cancelled, or another item's work threw), and the member finishes.</summary>
    Finishing,
}

/// <summary>
/// What <see cref="SetPartitioner.RunItemsAsync"/> hands the work of one owned item: the item, its fencing token, and a
/// token that is cancelled when the work must stop, with the reason.
/// </summary>
public sealed class ItemWork
{
    private readonly CancellationTokenSource _stopping = new();
    private int _stopReason;

    internal ItemWork(string item, long fencingToken)
    {
        Item = item;
        FencingToken = fencingToken;
        Stopping = _stopping.Token;
    }

    /// <summary>The item.</summary>
    public string Item { get; }

    /// <summary>
    /// The fencing token of this ownership of the item (see <see cref="Core.OwnedItem.FencingToken"/>): pass it with
    /// every write the work makes for the item, so that a store can refuse a write from an owner since replaced.
    /// </summary>
    public long FencingToken { get; }

    /// <summary>
    /// Cancelled when the work must stop: the item is revoked, ownership is lost, or the loop stops.
    /// <see cref="StopReason"/> says which, and is set before the token is cancelled.
    /// </summary>
    public CancellationToken Stopping { get; }

    /// <summary><see cref="ItemStopReason.None"/> until <see cref="Stopping"/> is cancelled; then why. The first reason given stays.</summary>
    public ItemStopReason StopReason => (ItemStopReason)Volatile.Read(ref _stopReason);

    /// <summary>Sets the reason and cancels <see cref="Stopping"/>; false when the work was told to stop already.</summary>
    /// <remarks>Cancel, not CancelAsync: the work's callbacks run on the caller's thread, not on the thread pool.</remarks>
    internal bool Stop(ItemStopReason reason)
    {
        if (Interlocked.CompareExchange(ref _stopReason, (int)reason, (int)ItemStopReason.None) != (int)ItemStopReason.None)
        {
            return false;
        }

        _stopping.Cancel();
        return true;
    }
}
