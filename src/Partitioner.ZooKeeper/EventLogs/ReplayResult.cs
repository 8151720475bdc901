using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>What replaying an event log found.</summary>
/// <param name="Config">The configuration rebuilt from the header.</param>
/// <param name="DecisionsMatched">How many decisions Core reproduced exactly, the start included.</param>
/// <param name="Timeline">The state after the start, then every state change, as replayed.</param>
/// <param name="Mismatch">The first decision Core did not reproduce; null when every one matched.</param>
public sealed record ReplayResult(
    PartitionerConfig Config,
    long DecisionsMatched,
    IReadOnlyList<ReplayStateChange> Timeline,
    ReplayMismatch? Mismatch)
{
    /// <summary>True when Core reproduced every state and command of the log.</summary>
    public bool Succeeded => Mismatch is null;
}

/// <summary>One entry of a replayed timeline.</summary>
/// <param name="LineNumber">The 1-based line of the log holding the decision.</param>
/// <param name="Seq">The decision's number: 0 for the start.</param>
/// <param name="EventType">The event's type name, or "start".</param>
/// <param name="State">The state the decision produced.</param>
/// <param name="StateId">Its state id.</param>
/// <param name="AcquiredItems">The items Core says the member owns.</param>
/// <param name="FailureReason">Why the member failed, in Failure.</param>
public sealed record ReplayStateChange(
    long LineNumber,
    long Seq,
    string EventType,
    PartitionState State,
    long StateId,
    ImmutableArray<string> AcquiredItems,
    string? FailureReason);

/// <summary>The first line where Core decided differently from the log: determinism was lost.</summary>
/// <param name="LineNumber">The 1-based line of the log.</param>
/// <param name="Seq">The decision's number.</param>
/// <param name="Part">What differs: "state" or "commands" (or "decider" when Core threw).</param>
/// <param name="Expected">What the log recorded, as JSON.</param>
/// <param name="Actual">What Core decided now, as JSON written the same way.</param>
public sealed record ReplayMismatch(long LineNumber, long Seq, string Part, string Expected, string Actual);
