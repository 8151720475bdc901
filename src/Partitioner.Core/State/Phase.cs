using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// What a member is doing now. The public <see cref="PartitionState"/> says what the user may do;
/// the phase says which results, watches and timers Core is waiting for. Every op id a phase waits
/// for is recorded in it, so a result, watch or timer that no phase expects is stale and changes nothing.
/// </summary>
internal abstract record Phase;

/// <summary>
/// The stability wait (kazoo's <c>PatientChildrenWatch</c>): read <c>P/party</c> with a watch, then wait
/// <see cref="PartitionerConfig.TimeBoundary"/>; a party change during the wait re-reads and restarts the timer.
/// </summary>
/// <param name="ReadOpId">The party read in flight or done; its watch carries the same id.</param>
/// <param name="Children">The party's children from that read; null until it succeeds.</param>
/// <param name="TimerId">The stability timer, started when the read succeeded.</param>
/// <param name="ReadLost">The read failed with ConnectionLoss and waits for a retry.</param>
/// <param name="Releasing">The wait began with a release whose deletes are not all done: the state stays Release and
/// the member may not allocate until they are.</param>
/// <param name="Due">The timer fired while <paramref name="Releasing"/>: the round starts as soon as the deletes are done.</param>
internal sealed record WaitingPhase(long ReadOpId, ImmutableArray<string>? Children, long? TimerId, bool ReadLost, bool Releasing, bool Due) : Phase
{
    /// <summary>
    /// Cooperative mode, once the wait is over: the reads of the other members' declarations still unanswered, by op id,
    /// each with the party node names it reads (see <see cref="DeclarationCheck"/>); null before the check starts. The
    /// round starts when the last one has agreed.
    /// </summary>
    public ImmutableSortedDictionary<long, ImmutableArray<string>>? Checks { get; init; }

    // Evolve.

    /// <summary>The wait is over and the declaration reads <paramref name="reads"/> are in flight; the timer is spent.</summary>
    public WaitingPhase Checking(ImmutableSortedDictionary<long, ImmutableArray<string>> reads) =>
        this with { TimerId = null, Checks = reads };

    /// <summary>A wait whose party read <paramref name="readOpId"/> is in flight.</summary>
    public static WaitingPhase Reading(long readOpId, bool releasing) =>
        new(readOpId, Children: null, TimerId: null, ReadLost: false, Releasing: releasing, Due: false);

    /// <summary>The timer fired before the release's deletes were done.</summary>
    public WaitingPhase TimedOutWhileReleasing() => this with { Due = true };

    /// <summary>The release's deletes are all done.</summary>
    public WaitingPhase Released() => this with { Releasing = false, Due = false };

    /// <summary>The party read returned <paramref name="children"/>; the timer <paramref name="timerId"/> runs.</summary>
    public WaitingPhase Read(ImmutableArray<string> children, long timerId) => this with { Children = children, TimerId = timerId };

    /// <summary>The party read was lost with the connection.</summary>
    public WaitingPhase Lost() => this with { ReadLost = true };
}

/// <summary>Taking the locks of this member's share; see <see cref="Round"/>.</summary>
internal sealed record RoundPhase(Round Round) : Phase;

/// <summary>Acquired: every lock of the share is held; the party watch is armed.</summary>
internal sealed record HoldingPhase(long PartyWatchOpId) : Phase;

/// <summary>Release: waiting for the user to release. Locks acquired before are kept until then.</summary>
internal sealed record AwaitingReleasePhase : Phase;

/// <summary>
/// Deleting every lock node of this member after a release request, with no stability wait running (the
/// connection was lost meanwhile); a new wait begins once the deletes are done.
/// </summary>
internal sealed record ReleasingPhase : Phase;

/// <summary>Failure: terminal; every input is a no-op.</summary>
internal sealed record FailedPhase : Phase;
