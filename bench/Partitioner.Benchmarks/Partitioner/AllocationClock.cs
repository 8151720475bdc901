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
/// The start of an allocation is the decision that sends the read of <c>P/locks</c> (the first request of a
/// round, right after the stability timer fired); Acquired is the decision that enters that state.
/// </remarks>
internal sealed class AllocationClock : IEventLogSink
{
    private readonly object _gate = new();
    private readonly Action? _onAcquired;
    private readonly Func<OperationCounts>? _counts;
    private string _locksPath = "";
    private long _allocationStarted;
    private long _acquiredAt;
    private long _decisions;
    private PartitionState _state;
    private OperationCounts _countsAtStart;
    private OperationCounts _countsAtAcquired;

    /// <param name="counts">The member's port counts, read at the allocation start and at Acquired; null to skip.</param>
    /// <param name="onAcquired">Called (on the member's decision thread) each time the member enters Acquired.</param>
    public AllocationClock(Func<OperationCounts>? counts = null, Action? onAcquired = null)
    {
        _counts = counts;
        _onAcquired = onAcquired;
    }

    /// <summary>
    /// The requests of the last allocation, from the read of <c>P/locks</c> to Acquired. The counts are read
    /// before the shell sends a decision's commands, so the read that starts the round is inside.
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

    /// <summary>How many decisions Core made for this member.</summary>
    public long Decisions => Interlocked.Read(ref _decisions);

    /// <summary>Seconds of the process's CPU the caller measured around the acquisition; 0 when not measured.</summary>
    public double CpuSeconds { get; set; }

    /// <summary>Seconds of the server's CPU the caller measured around the acquisition; NaN when not measured.</summary>
    public double ServerCpuSeconds { get; set; } = double.NaN;

    /// <summary>When tracing: every decision's time, event and commands, for finding where an allocation spends its time.</summary>
    public List<(long Timestamp, string Line)>? Trace { get; init; }

    public void WriteHeader(PartitionerConfig config)
    {
        _locksPath = config.Path + "/locks";
    }

    public void WriteDecision(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands)
    {
        long now = Stopwatch.GetTimestamp();
        Interlocked.Increment(ref _decisions);
        bool entered;
        lock (_gate)
        {
            if (commands.Any(c => c is GetChildren { Watch: false } read && read.Path == _locksPath))
            {
                _allocationStarted = now;
                _countsAtStart = _counts?.Invoke() ?? default;
            }

            entered = state.State == PartitionState.Acquired && _state != PartitionState.Acquired;
            if (entered)
            {
                _acquiredAt = now;
                _countsAtAcquired = _counts?.Invoke() ?? default;
            }

            _state = state.State;
            Trace?.Add((now, $"{@event?.GetType().Name ?? "start"} {Describe(@event)} -> {state.State}, {string.Join(" ", commands.Select(c => c.GetType().Name))}"));
        }

        if (entered)
        {
            _onAcquired?.Invoke();
        }
    }

    private static string Describe(Event? @event) => @event switch
    {
        OperationCompleted completed => $"#{completed.OpId} {completed.Error}",
        TimerFired fired => $"timer {fired.TimerId}",
        _ => "",
    };
}
