using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>A member's state changed.</summary>
/// <param name="oldState">The state before the change.</param>
/// <param name="newState">The state after the change.</param>
/// <param name="stateId">The state id after the change; it grows by one on every change.</param>
public sealed class PartitionStateChangedEventArgs(PartitionState oldState, PartitionState newState, long stateId) : EventArgs
{
    /// <summary>The state before the change.</summary>
    public PartitionState OldState { get; } = oldState;

    /// <summary>The state after the change.</summary>
    public PartitionState NewState { get; } = newState;

    /// <summary>The state id after the change.</summary>
    public long StateId { get; } = stateId;
}
