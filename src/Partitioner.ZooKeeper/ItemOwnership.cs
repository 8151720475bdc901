using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Turns Core's decisions into item-by-item ownership changes: after each decision it compares the items the member
/// owns (item and token) with those it owned before, and tells <see cref="SetPartitioner.ItemOwnershipChanged"/> and
/// the running <see cref="SetPartitioner.RunItemsAsync"/> (its <see cref="ItemInbox"/>) which were assigned, revoked
/// or lost. It also routes Core's <see cref="StopItemWork"/>: to the per-item loop when it runs, otherwise answered at
/// once with <see cref="ItemWorkStopped"/>, after the Revoked handlers have run.
/// </summary>
/// <remarks>
/// <para>How an item that leaves is told apart. Revoked (orderly: the lock is still held, the work may commit) only when
/// the member still trusts its session: the item left through a <see cref="StopItemWork"/> (cooperative), or through an
/// eager party change (a watch of the party moved the member from Acquired to Release; its lock nodes stay until the
/// release). Lost for every other way out: a session change (suspended, reconnected, expired), Failure, a finish, and
/// the claim window closing (the leader has not confirmed the session for 90 % of its timeout, seen either at a
/// decision or by the claim timer). The safe default is Lost.</para>
/// <para>An item lost to the claim window is not assigned again with the same token, even if confirmations resume:
/// the work was told not to commit, and the token says nothing new. It is assigned again once Core holds it with a new
/// token (after a release: <see cref="SetPartitioner.RunItemsAsync"/> releases after such a loss).</para>
/// <para>Changes are delivered one at a time and in order, by whichever thread finds none being delivered (the
/// mailbox's pattern), so handlers never run re-entrantly or on two threads at once. Each decision costs a walk over
/// the member's own share when its owned items change, and nothing when they do not.</para>
/// </remarks>
internal sealed class ItemOwnership
{
    private readonly object _gate = new();
    private readonly Queue<Action> _deliveries = new();
    private readonly List<StopItemWork> _stops = [];
    private readonly HashSet<OwnedItem> _lapsed = [];
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _claimRemaining;
    private readonly Func<bool> _hasSubscribers;
    private readonly Action<ItemOwnershipChangedEventArgs> _raise;
    private readonly Func<Event, bool> _post;
    private ImmutableArray<OwnedItem> _tracked = ImmutableArray<OwnedItem>.Empty;
    private ImmutableArray<OwnedItem> _lastCore = ImmutableArray<OwnedItem>.Empty;
    private MemberState? _latest;
    private ItemInbox? _runner;
    private WorkDeadline? _deadline;
    private bool _delivering;

    /// <param name="time">The partitioner's clock, for the claim timer.</param>
    /// <param name="claimRemaining">How long the member may still claim its items (see <see cref="SetPartitioner.ClaimRemaining"/>).</param>
    /// <param name="hasSubscribers">True while <see cref="SetPartitioner.ItemOwnershipChanged"/> has handlers: only then, or while the per-item loop runs, is the claim timer armed.</param>
    /// <param name="raise">Raises <see cref="SetPartitioner.ItemOwnershipChanged"/>.</param>
    /// <param name="post">Posts an event to the member's mailbox.</param>
    public ItemOwnership(
        TimeProvider time, Func<TimeSpan> claimRemaining, Func<bool> hasSubscribers, Action<ItemOwnershipChangedEventArgs> raise, Func<Event, bool> post)
    {
        _time = time;
        _claimRemaining = claimRemaining;
        _hasSubscribers = hasSubscribers;
        _raise = raise;
        _post = post;
    }

    /// <summary>Core asked to stop an item's work, in the decision being applied (on the draining thread, before <see cref="Observed"/>).</summary>
    public void StopRequested(StopItemWork stop)
    {
        lock (_gate)
        {
            _stops.Add(stop);
        }
    }

    /// <summary>
    /// After each decision, on the draining thread: takes the changes it made, telling the per-item loop at once; the
    /// handlers hear of them in <see cref="Deliver"/>.
    /// </summary>
    /// <param name="observation">The decision.</param>
    /// <param name="claimOpen">True while the claim window is open (the member may claim what Core says it holds).</param>
    public void Observed(Observation observation, bool claimOpen)
    {
        (WorkDeadline? Start, WorkDeadline? Stop) deadline;
        lock (_gate)
        {
            var current = observation.Current;
            var core = current.PartitionState == PartitionState.Acquired ? current.OwnedItems : ImmutableArray<OwnedItem>.Empty;
            var stateMoved = observation.Stopped || observation.Previous.StateId != current.StateId
                || observation.Previous.PartitionState != current.PartitionState;
            _latest = current;
            if (core != _lastCore || _stops.Count > 0 || (!claimOpen && !_tracked.IsEmpty))
            {
                Diff(observation, core, claimOpen);
            }

            if (stateMoved)
            {
                _runner?.Add(new ItemMessage.StateMoved(current));
            }

            deadline = ArmDeadline();
        }

        ApplyDeadline(deadline);
    }

    /// <summary>
    /// The per-item loop starts working: it is told every item owned now (as assigned) and every change from here on.
    /// Returns the latest state decided, which may be newer than the one the loop waited for.
    /// </summary>
    public MemberState? Attach(ItemInbox inbox)
    {
        (WorkDeadline? Start, WorkDeadline? Stop) deadline;
        MemberState? latest;
        lock (_gate)
        {
            _runner = inbox;
            foreach (var owned in _tracked)
            {
                inbox.Add(new ItemMessage.Assigned(owned));
            }

            if (_lapsed.Count > 0)
            {
                // Items Core holds that the member cannot claim (lost to the claim window): the loop releases them.
                inbox.Add(new ItemMessage.Lapsed());
            }

            latest = _latest;
            deadline = ArmDeadline();
        }

        ApplyDeadline(deadline);
        return latest;
    }

    /// <summary>The per-item loop stopped working. Stops it had not taken yet are answered now.</summary>
    public void Detach(ItemInbox inbox)
    {
        (WorkDeadline? Start, WorkDeadline? Stop) deadline;
        lock (_gate)
        {
            if (ReferenceEquals(_runner, inbox))
            {
                _runner = null;
            }

            foreach (var message in inbox.TakeLeft())
            {
                if (message is ItemMessage.StopAsked stop)
                {
                    AnswerLater(stop.OpId);
                }
            }

            deadline = ArmDeadline();
        }

        ApplyDeadline(deadline);
        Deliver();
    }

    /// <summary>The claim timer found the claim window closed: every item is lost.</summary>
    private void Lapse(WorkDeadline source)
    {
        (WorkDeadline? Start, WorkDeadline? Stop) deadline;
        lock (_gate)
        {
            if (!ReferenceEquals(_deadline, source))
            {
                // A timer stopped or replaced while it fired: what it would lose is not what it watched.
                return;
            }

            _deadline = null;
            if (!_tracked.IsEmpty)
            {
                var changes = new List<(OwnedItem Owned, ItemOwnershipChange Change)>(_tracked.Length);
                foreach (var owned in _tracked)
                {
                    _lapsed.Add(owned);
                    Left(changes, owned, ItemStopReason.Lost);
                }

                EnqueueChanges(changes);

                _tracked = ImmutableArray<OwnedItem>.Empty;
                _runner?.Add(new ItemMessage.Lapsed());
            }

            deadline = ArmDeadline();
            deadline.Stop ??= source;
        }

        ApplyDeadline(deadline);
        Deliver();
    }

    /// <remarks>
    /// A member's first Acquired of 100,000 items is the common large case: nothing tracked, lapsed or stopped before.
    /// The sets are made only when there is something to look up in them (an item's owned set was hashed three times
    /// over), and the changes of one decision go to the handlers as one delivery, not a closure per item.
    /// </remarks>
    private void Diff(Observation observation, ImmutableArray<OwnedItem> core, bool claimOpen)
    {
        _lastCore = core;
        HashSet<OwnedItem>? coreSet = null;
        if (_lapsed.Count > 0)
        {
            coreSet = core.ToHashSet();
            _lapsed.RemoveWhere(owned => !coreSet.Contains(owned));
        }

        var lapsedNow = false;
        if (!claimOpen)
        {
            foreach (var owned in core)
            {
                // Held by Core but not claimable: never assigned, or lost below. Either way the set is to be released.
                lapsedNow |= _lapsed.Add(owned);
            }
        }

        var owning = !claimOpen ? ImmutableArray<OwnedItem>.Empty
            : _lapsed.Count == 0 ? core
            : core.Where(owned => !_lapsed.Contains(owned)).ToImmutableArray();
        var changes = new List<(OwnedItem Owned, ItemOwnershipChange Change)>();
        if (!_tracked.IsEmpty)
        {
            var owningSet = owning.ToHashSet();
            var stopped = _stops.Select(stop => stop.Item).ToHashSet(StringComparer.Ordinal);

            // An eager party change: the watch of the party moved the member from Acquired to Release, keeping its locks.
            var orderly = observation is { Stopped: false, Event: WatchFired }
                && observation.Previous.PartitionState == PartitionState.Acquired
                && observation.Current.PartitionState == PartitionState.Release;
            foreach (var owned in _tracked)
            {
                if (owningSet.Contains(owned))
                {
                    continue;
                }

                var lapsed = !claimOpen && (coreSet ??= core.ToHashSet()).Contains(owned);
                var revoked = !lapsed && claimOpen && (stopped.Contains(owned.Name) || orderly);
                Left(changes, owned, revoked ? ItemStopReason.Revoked : ItemStopReason.Lost);
            }
        }

        var trackedSet = _tracked.IsEmpty ? null : _tracked.ToHashSet();
        foreach (var owned in owning)
        {
            if (trackedSet is null || !trackedSet.Contains(owned))
            {
                _runner?.Add(new ItemMessage.Assigned(owned));
                changes.Add((owned, ItemOwnershipChange.Assigned));
            }
        }

        EnqueueChanges(changes);
        if (lapsedNow)
        {
            _runner?.Add(new ItemMessage.Lapsed());
        }

        _tracked = owning;
        foreach (var stop in _stops)
        {
            if (_runner is { } runner)
            {
                runner.Add(new ItemMessage.StopAsked(stop.OpId, stop.Item));
            }
            else
            {
                AnswerLater(stop.OpId);
            }
        }

        _stops.Clear();
    }

    private void Left(List<(OwnedItem Owned, ItemOwnershipChange Change)> changes, OwnedItem owned, ItemStopReason reason)
    {
        _runner?.Add(new ItemMessage.Left(owned, reason));
        changes.Add((owned, reason == ItemStopReason.Revoked ? ItemOwnershipChange.Revoked : ItemOwnershipChange.Lost));
    }

    /// <summary>
    /// One delivery for the changes of one decision (or one lapse), told to the handlers in order. An event argument is
    /// made only for a change that has a handler to hear it, as raising to no handler did nothing with it.
    /// </summary>
    private void EnqueueChanges(List<(OwnedItem Owned, ItemOwnershipChange Change)> changes)
    {
        if (changes.Count == 0)
        {
            return;
        }

        _deliveries.Enqueue(() =>
        {
            foreach (var (owned, change) in changes)
            {
                if (_hasSubscribers())
                {
                    _raise(new ItemOwnershipChangedEventArgs(owned.Name, owned.FencingToken, change));
                }
            }
        });
    }

    /// <summary>No per-item work runs for the item: its work has stopped, once the handlers queued before have run.</summary>
    private void AnswerLater(long opId) => _deliveries.Enqueue(() => _post(new ItemWorkStopped(opId)));

    /// <summary>
    /// Which claim timer to start or stop, chosen under the gate and applied outside it (a timer may call back at once).
    /// The timer runs while the member owns items and someone listens: the per-item loop or a handler.
    /// </summary>
    private (WorkDeadline? Start, WorkDeadline? Stop) ArmDeadline()
    {
        var wanted = !_tracked.IsEmpty && (_runner is not null || _hasSubscribers());
        if (wanted && _deadline is null)
        {
            WorkDeadline? started = null;
            started = new WorkDeadline(_time, _claimRemaining, () => Lapse(started!));
            _deadline = started;
            return (started, null);
        }

        if (!wanted && _deadline is { } running)
        {
            _deadline = null;
            return (null, running);
        }

        return (null, null);
    }

    private static void ApplyDeadline((WorkDeadline? Start, WorkDeadline? Stop) deadline)
    {
        deadline.Stop?.Dispose();
        deadline.Start?.Start();
    }

    /// <summary>Raises the changes taken so far and sends the answers they wait for, unless another thread is at it.</summary>
    public void Deliver()
    {
        lock (_gate)
        {
            if (_delivering)
            {
                return;
            }

            _delivering = true;
        }

        while (true)
        {
            Action next;
            lock (_gate)
            {
                if (!_deliveries.TryDequeue(out next!))
                {
                    _delivering = false;
                    return;
                }
            }

            next();
        }
    }
}

/// <summary>What the per-item loop of <see cref="SetPartitioner.RunItemsAsync"/> is told, in order.</summary>
internal abstract record ItemMessage
{
    /// <summary>The member owns the item with this token.</summary>
    public sealed record Assigned(OwnedItem Owned) : ItemMessage;

    /// <summary>The member no longer owns the item with this token, for this reason.</summary>
    public sealed record Left(OwnedItem Owned, ItemStopReason Reason) : ItemMessage;

    /// <summary>Core waits for the item's work to return before deleting its lock node.</summary>
    public sealed record StopAsked(long OpId, string Item) : ItemMessage;

    /// <summary>The claim window closed with items owned: they were lost, and the set is to be released once their work returned.</summary>
    public sealed record Lapsed : ItemMessage;

    /// <summary>The member's state changed (a new state id, or the loop stopped).</summary>
    public sealed record StateMoved(MemberState State) : ItemMessage;

    /// <summary>An item's work returned.</summary>
    public sealed record Returned(ItemRun Run) : ItemMessage;

    /// <summary>The loop's token was cancelled.</summary>
    public sealed record Cancelled : ItemMessage;
}

/// <summary>
/// The per-item loop's mailbox: messages from the decisions, the claim timer, the item works and the loop's token, taken
/// in order by the loop on its own context.
/// </summary>
internal sealed class ItemInbox
{
    private readonly object _gate = new();
    private readonly Queue<ItemMessage> _messages = new();
    private TaskCompletionSource? _wake;

    public void Add(ItemMessage message)
    {
        TaskCompletionSource? wake;
        lock (_gate)
        {
            _messages.Enqueue(message);
            wake = _wake;
            _wake = null;
        }

        // Completed with RunContinuationsAsynchronously: the loop goes on in its own context, not in the caller's.
        wake?.TrySetResult();
    }

    /// <summary>Every message queued, waiting for one when there is none.</summary>
    public async Task<ItemMessage[]> TakeAsync()
    {
        Task wait;
        lock (_gate)
        {
            if (_messages.Count > 0)
            {
                return TakeAllLocked();
            }

            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            wait = _wake.Task;
        }

        await wait;
        lock (_gate)
        {
            return TakeAllLocked();
        }
    }

    /// <summary>Whatever is still queued, without waiting.</summary>
    public ItemMessage[] TakeLeft()
    {
        lock (_gate)
        {
            return TakeAllLocked();
        }
    }

    private ItemMessage[] TakeAllLocked()
    {
        var all = _messages.ToArray();
        _messages.Clear();
        return all;
    }
}

/// <summary>One item's work in the per-item loop.</summary>
internal sealed class ItemRun(ItemWork work)
{
    public ItemWork Work { get; } = work;

    /// <summary>The work's task, once started.</summary>
    public Task Task { get; set; } = Task.CompletedTask;

    /// <summary>The stop Core waits on for this work, answered when it returns.</summary>
    public long? StopOpId { get; set; }
}
