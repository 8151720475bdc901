using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Receives every decision a member makes, in order, so that a run can be replayed through Core.
/// A member calls it from the thread that runs its decisions, one call at a time. A sink that throws
/// is dropped (the error is logged) and the member carries on.
/// </summary>
public interface IEventLogSink
{
    /// <summary>Called once, before the first decision, with the member's configuration.</summary>
    /// <param name="config">The configuration, defaults and contender prefix filled in.</param>
    void WriteHeader(PartitionerConfig config);

    /// <summary>Called after each decision, including the start.</summary>
    /// <param name="seq">0 for the start, then 1, 2, 3...</param>
    /// <param name="event">The event decided on; null for the start.</param>
    /// <param name="state">The state the decision produced.</param>
    /// <param name="commands">The commands the decision produced, in order.</param>
    void WriteDecision(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands);
}
