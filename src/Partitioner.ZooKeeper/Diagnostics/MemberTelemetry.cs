using System.Collections.Immutable;
using System.Diagnostics;
using Partitioner.Core;

namespace Partitioner.ZooKeeper.Diagnostics;

/// <summary>
/// Turns one member's decisions into metrics and spans, on the thread that decided (so it needs no lock), with
/// time from the member's <see cref="TimeProvider"/> only: under the simulator, span times and durations are
/// virtual. Core knows nothing of it; it reads the states, events and commands the loop already has.
/// </summary>
/// <remarks>
/// A lock wait is a watched exists on a lock node (Core watches only the node just ahead of its own): it
/// starts when the exists says the node is there and ends when the watch fires, or is abandoned when the
/// allocation ends first.
/// </remarks>
internal sealed class MemberTelemetry
{
    private readonly PartitionerInstruments _instruments;
    private readonly TimeProvider _time;
    private readonly KeyValuePair<string, object?> _path;
    private readonly string _identifier;
    private readonly string _locksPrefix;
    private readonly long _startedAt;
    private readonly Dictionary<long, long> _watchedExists = [];
    private readonly Dictionary<long, long> _waits = [];
    private readonly object _gate = new();
    private long _allocatingSince;
    private long _rebalanceSince;
    private bool _allocating;
    private bool _rebalancing;
    private bool _acquiredOnce;
    private bool _stopped;
    private Activity? _allocation;
    private Activity? _rebalance;

    public MemberTelemetry(PartitionerInstruments instruments, TimeProvider time, PartitionerConfig config)
    {
        _instruments = instruments;
        _time = time;
        _path = new("partitioner.path", config.Path);
        _identifier = config.Identifier;
        _locksPrefix = ZnodePaths.Locks(config.Path) + "/";
        _startedAt = time.GetTimestamp();
    }

    /// <summary>Called once, before the first decision: the member exists, in its initial state.</summary>
    public void Started(MemberState initial)
    {
        lock (_gate)
        {
            CountMember(initial.PartitionState, +1);
            if (initial.PartitionState == PartitionState.Allocating)
            {
                BeginAllocation(_time.GetTimestamp());
            }
        }
    }

    /// <summary>Called after every decision with the state before and after it, the event and the commands.</summary>
    public void Decided(MemberState previous, Event? @event, MemberState current, ImmutableArray<Command> commands)
    {
        lock (_gate)
        {
            if (!_stopped)
            {
                Observe(previous, @event, current, commands);
            }
        }
    }

    /// <summary>Called when the member stops for good: what it still counted in a state is taken away.</summary>
    public void Stopped(MemberState last)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }

            _stopped = true;
            var owned = Owned(last);
            if (owned != 0)
            {
                _instruments.ItemsOwned.Add(-owned, _path);
            }

            CountMember(last.PartitionState, -1);
            var now = _time.GetTimestamp();
            EndAllocation(now, "failed", 0);
            EndRebalance(now, "failed");
        }
    }

    private void Observe(MemberState previous, Event? @event, MemberState current, ImmutableArray<Command> commands)
    {
        var now = _time.GetTimestamp();
        TrackLockWaits(@event, commands, now);
        if (current.PartitionState != previous.PartitionState || current.StateId != previous.StateId)
        {
            Changed(previous, current, now);
        }

        var owned = Owned(current) - Owned(previous);
        if (owned != 0)
        {
            _instruments.ItemsOwned.Add(owned, _path);
        }
    }

    private static int Owned(MemberState state) =>
        state.PartitionState == PartitionState.Acquired && !state.AcquiredItems.IsDefault ? state.AcquiredItems.Length : 0;

    private void Changed(MemberState previous, MemberState current, long now)
    {
        if (current.PartitionState != previous.PartitionState)
        {
            CountMember(previous.PartitionState, -1);
            CountMember(current.PartitionState, +1);
        }

        if (previous.PartitionState == PartitionState.Allocating && current.PartitionState != PartitionState.Allocating)
        {
            EndAllocation(
                now,
                current.PartitionState switch
                {
                    PartitionState.Acquired => "acquired",
                    PartitionState.Failure => "failed",
                    _ => "aborted",
                },
                Owned(current));
        }

        if (previous.PartitionState == PartitionState.Acquired && current.PartitionState == PartitionState.Release)
        {
            _instruments.Rebalances.Add(1, _path);
            _rebalancing = true;
            _rebalanceSince = now;
            _rebalance = StartSpan("partitioner.rebalance", parent: null);
        }

        if (current.PartitionState == PartitionState.Allocating && previous.PartitionState != PartitionState.Allocating)
        {
            BeginAllocation(now);
        }

        if (current.PartitionState == PartitionState.Acquired)
        {
            if (!_acquiredOnce)
            {
                _acquiredOnce = true;
                _instruments.AcquireDuration.Record(Seconds(_startedAt, now), _path);
            }

            EndRebalance(now, "acquired");
        }
        else if (current.PartitionState == PartitionState.Failure)
        {
            EndRebalance(now, "failed");
        }
    }

    private void TrackLockWaits(Event? @event, ImmutableArray<Command> commands, long now)
    {
        switch (@event)
        {
            case ExistsCompleted done when _watchedExists.Remove(done.OpId, out _):
                if (done.Error == ZooKeeperError.Ok)
                {
                    _waits[done.OpId] = now;
                    _instruments.LockWaits.Add(1, _path);
                }

                break;
            case WatchFired fired when _waits.Remove(fired.OpId, out var since):
                _instruments.LockWaitDuration.Record(Seconds(since, now), _path, new("partitioner.outcome", "released"));
                break;
        }

        foreach (var command in commands)
        {
            if (command is Exists { Watch: true } exists && exists.Path.StartsWith(_locksPrefix, StringComparison.Ordinal))
            {
                _watchedExists[exists.OpId] = now;
            }
        }
    }

    private void BeginAllocation(long now)
    {
        _allocating = true;
        _allocatingSince = now;
        _allocation = StartSpan("partitioner.allocation", _rebalance);
    }

    private void EndAllocation(long now, string outcome, int items)
    {
        if (!_allocating)
        {
            return;
        }

        _instruments.AllocationDuration.Record(Seconds(_allocatingSince, now), _path, new("partitioner.outcome", outcome));
        _allocating = false;
        _allocation?.SetTag("partitioner.items", items);
        StopSpan(ref _allocation, outcome);
        foreach (var since in _waits.Values)
        {
            _instruments.LockWaitDuration.Record(Seconds(since, now), _path, new("partitioner.outcome", "abandoned"));
        }

        _waits.Clear();
        _watchedExists.Clear();
    }

    private void EndRebalance(long now, string outcome)
    {
        if (!_rebalancing)
        {
            return;
        }

        _instruments.RebalanceDuration.Record(Seconds(_rebalanceSince, now), _path, new("partitioner.outcome", outcome));
        _rebalancing = false;
        StopSpan(ref _rebalance, outcome);
    }

    private void CountMember(PartitionState state, int delta) =>
        _instruments.Members.Add(delta, _path, new("partitioner.state", StateName(state)));

    private static string StateName(PartitionState state) => state switch
    {
        PartitionState.Allocating => "allocating",
        PartitionState.Acquired => "acquired",
        PartitionState.Release => "release",
        _ => "failure",
    };

    private double Seconds(long from, long to) => _time.GetElapsedTime(from, to).TotalSeconds;

    /// <summary>
    /// Starts a span with the member's clock as its start time, without leaving it as <see cref="Activity.Current"/>:
    /// a span outlives the decision that opened it, and the thread that decided goes on to other work.
    /// </summary>
    private Activity? StartSpan(string name, Activity? parent)
    {
        var ambient = Activity.Current;
        var activity = PartitionerInstruments.ActivitySource.CreateActivity(
            name, ActivityKind.Internal, parent?.Context ?? default(ActivityContext));
        if (activity is null)
        {
            return null;
        }

        activity.SetStartTime(_time.GetUtcNow().UtcDateTime);
        activity.SetTag("partitioner.path", _path.Value);
        activity.SetTag("partitioner.member", _identifier);
        activity.Start();
        Activity.Current = ambient;
        return activity;
    }

    private void StopSpan(ref Activity? span, string outcome)
    {
        if (span is null)
        {
            return;
        }

        var ambient = Activity.Current;
        span.SetTag("partitioner.outcome", outcome);
        if (outcome == "failed")
        {
            span.SetStatus(ActivityStatusCode.Error, "the member reached Failure");
        }

        span.SetEndTime(_time.GetUtcNow().UtcDateTime);
        span.Stop();
        Activity.Current = ambient;
        span = null;
    }
}
