using System.Collections.Immutable;
using System.Diagnostics;
using Partitioner.Core;
using Partitioner.ZooKeeper;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// An event-log sink that writes nothing down but the times of the moments the benchmark measures between,
/// taken on the member's own decision thread as Core decides them, so no polling delay enters a figure.
/// </summary>
/// <remarks>
/// The start of an allocation is the decision on a timer that sends the round's first requests (folder creates,
/// or lock creates and reads, right after the stability timer fired); Acquired is the decision that enters that state.
/// </remarks>
internal sealed class AllocationClock : IEventLogSink
{
    private readonly object _gate = new();
    private readonly Action? _onAcquired;
    private readonly Func<OperationCounts>? _counts;
    private long _allocationStarted;
    private long _acquiredAt;
    private PartitionState _state;
    private OperationCounts _countsAtStart;
    private long _folderReadOpId = -1;
    private PhaseMarks _phases;
    private OperationCounts _countsAtAcquired;

    /// <param name="counts">The member's port counts, read at the allocation start and at Acquired; null to skip.</param>
    /// <param name="onAcquired">Called (on the member's decision thread) each time the member enters Acquired.</param>
    public AllocationClock(Func<OperationCounts>? counts = null, Action? onAcquired = null)
    {
        _counts = counts;
        _onAcquired = onAcquired;
    }

    /// <summary>
    /// The requests of the last allocation, from the round's first requests to Acquired. The counts are read
    /// before the shell sends a decision's commands, so the requests that start the round are inside.
    /// </summary>
    public OperationCounts AllocationCounts
    {
        get
        {
            lock (_gate)
            {
                return _countsAtAcquired - _countsAtStart;
            }
        }
    }

    /// <summary>The <see cref="Stopwatch.GetTimestamp"/> of the last allocation start; 0 before the first.</summary>
    public long AllocationStarted
    {
        get
        {
            lock (_gate)
            {
                return _allocationStarted;
            }
        }
    }

    /// <summary>The <see cref="Stopwatch.GetTimestamp"/> of the last entry into Acquired; 0 before the first.</summary>
    public long AcquiredAt
    {
        get
        {
            lock (_gate)
            {
                return _acquiredAt;
            }
        }
    }

    /// <summary>The phase boundaries of the member's last rebalance, with the allocation start and Acquired filled in.</summary>
    public PhaseMarks Phases
    {
        get
        {
            lock (_gate)
            {
                return _phases with { AllocationStarted = _allocationStarted, Acquired = _acquiredAt };
            }
        }
    }

    /// <summary>Seconds of the process's CPU the caller measured around the acquisition; 0 when not measured.</summary>
    public double CpuSeconds { get; set; }

    /// <summary>Seconds of the server's CPU the caller measured around the acquisition; NaN when not measured.</summary>
    public double ServerCpuSeconds { get; set; } = double.NaN;

    /// <summary>When tracing: every decision's time, event and commands, for finding where an allocation spends its time.</summary>
    public List<(long Timestamp, string Line)>? Trace { get; init; }

    public void WriteHeader(PartitionerConfig config)
    {
    }

    public void WriteDecision(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands)
    {
        long now = Stopwatch.GetTimestamp();
        bool entered;
        lock (_gate)
        {
            MarkPhases(now, @event, state, commands);
            entered = state.PartitionState == PartitionState.Acquired && _state != PartitionState.Acquired;
            if (entered)
            {
                _acquiredAt = now;
                _countsAtAcquired = _counts?.Invoke() ?? default;
            }

            _state = state.PartitionState;
            Trace?.Add((now, $"{@event?.GetType().Name ?? "start"} {Describe(@event)} -> {state.PartitionState}, {string.Join(" ", commands.Select(c => c.GetType().Name))}"));
        }

        if (entered)
        {
            _onAcquired?.Invoke();
        }
    }

    /// <summary>The latest time of each phase boundary a rebalance goes through (under the gate).</summary>
    private void MarkPhases(long now, Event? @event, MemberState state, ImmutableArray<Command> commands)
    {
        if (@event is TimerFired && commands.FirstOrDefault(c => c is Multi or MultiGetChildren) is ZooKeeperCommand folderRead)
        {
            _allocationStarted = now;
            _folderReadOpId = folderRead.OpId;
            _countsAtStart = _counts?.Invoke() ?? default;
        }

        if (@event is ChildrenCompleted answer && answer.OpId == _folderReadOpId)
        {
            _phases = _phases with { FoldersRead = now };
        }

        if (state.PartitionState == PartitionState.Release && _state != PartitionState.Release)
        {
            _phases = _phases with { Release = now };
        }

        if (state.PartitionState == PartitionState.Allocating && _state == PartitionState.Release)
        {
            _phases = _phases with { Released = now };
        }

        if (state.PartitionState == PartitionState.Allocating && commands.Any(c => c is StartTimer))
        {
            _phases = _phases with { TimerStarted = now };
        }
    }

    private static string Describe(Event? @event) => @event switch
    {
        OperationCompleted completed => $"#{completed.OpId} {completed.Error}",
        TimerFired fired => $"timer {fired.TimerId}",
        _ => "",
    };
}

/// <summary>
/// <see cref="Stopwatch.GetTimestamp"/>s of the steps between a party change and Acquired; 0 for a step the
/// member did not take (the joiner has nothing to release).
/// </summary>
/// <param name="Release">Entered Release (it saw the party change).</param>
/// <param name="Released">Its lock nodes were deleted: back to Allocating.</param>
/// <param name="TimerStarted">The party was read and the stability timer started.</param>
/// <param name="AllocationStarted">The timer fired: the round's first requests were sent.</param>
/// <param name="FoldersRead">The answer to the round's first request came back.</param>
/// <param name="Acquired">Entered Acquired.</param>
internal readonly record struct PhaseMarks(long Release, long Released, long TimerStarted, long AllocationStarted, long FoldersRead, long Acquired);
