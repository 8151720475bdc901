using Partitioner.ZooKeeper;

namespace Partitioner.Hosting;

/// <summary>
/// The work on one owned item. The hosted member resolves it from a new dependency-injection scope for every item it
/// comes to own (<see cref="SetPartitioner.RunItemsAsync"/>'s loop), calls <see cref="RunAsync"/>, and disposes the
/// scope once the call has returned; the item's lock is released only then. It runs in both rebalance modes; the
/// cooperative one (<see cref="SetPartitionerHostOptions.Rebalance"/>) needs it.
/// </summary>
public interface ISetPartitionerItemWork
{
    /// <summary>Works on <paramref name="item"/> until <see cref="ItemWork.Stopping"/> is cancelled, then returns soon.</summary>
    /// <param name="item">
    /// The item, its fencing token, and the token cancelled when the work must stop, with the reason
    /// (<see cref="ItemWork.StopReason"/>: <see cref="ItemStopReason.Revoked"/> may commit its step, <see cref="ItemStopReason.Lost"/> must not).
    /// </param>
    /// <returns>A task that completes when the work has stopped; the item is released only then.</returns>
    Task RunAsync(ItemWork item);
}
