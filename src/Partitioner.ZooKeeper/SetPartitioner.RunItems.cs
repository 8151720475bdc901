using System.Runtime.ExceptionServices;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <content>The per-item loop: one work per owned item, stopped item by item.</content>
public sealed partial class SetPartitioner
{
    private int _itemsLoopRunning;

    /// <summary>
    /// Runs one <paramref name="work"/> per owned item, started when the member comes to own the item, with its fencing
    /// token; each is stopped through <see cref="ItemWork.Stopping"/> when its item is revoked or lost, or the loop stops.
    /// Works in both rebalance modes.
    /// </summary>
    /// <remarks>
    /// <para>Cooperative mode: through a party change, the work of an item that stays with the member is never stopped.
    /// An item leaving the member's share is revoked (<see cref="ItemStopReason.Revoked"/>: its work may finish its step
    /// and commit), and its lock node is deleted only once its work's task has completed, so its next owner starts after
    /// it; a slow work delays only its own item. Arriving items get a work each as soon as they are held.</para>
    /// <para>Eager mode: when the member leaves Acquired every work is stopped (Revoked on a party change, Lost on a
    /// connection change), and once all have returned the set is released and allocated again.</para>
    /// <para>In both modes, a connection loss, a session expiry or the claim window closing (the leader has not confirmed
    /// the session for 90 % of its timeout, found by a timer) stops every work with <see cref="ItemStopReason.Lost"/>;
    /// once all have returned the set is released and allocated again, as in <see cref="RunAsync"/>. Cancelling
    /// <paramref name="cancellationToken"/> stops every work with <see cref="ItemStopReason.Finishing"/>, waits for them,
    /// and finishes the member. A work that throws (other than an <see cref="OperationCanceledException"/> after its
    /// item was told to stop) stops the others (Finishing), and once they have returned the member finishes and the
    /// exception is thrown. A work that returns while its item is still owned is not started again for that ownership.</para>
    /// <para>Everything runs on the caller's context: works are started and stopped from the loop, whose awaits go back
    /// to that context, and no work is moved to the thread pool.</para>
    /// </remarks>
    /// <param name="work">The work on one item; it should return soon after <see cref="ItemWork.Stopping"/> is cancelled.</param>
    /// <param name="cancellationToken">Stops the loop: every work stops, the member then finishes (see <see cref="FinishAsync"/>) and the call returns.</param>
    /// <returns>A task that completes when the loop is cancelled and the member finished, or after <see cref="FinishAsync"/> was called.</returns>
    /// <exception cref="PartitionerFailedException">The member reached Failure without being asked to finish.</exception>
    /// <exception cref="InvalidOperationException">A per-item loop already runs on this member.</exception>
    public Task RunItemsAsync(Func<ItemWork, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        if (Interlocked.Exchange(ref _itemsLoopRunning, 1) == 1)
        {
            // Each item's work is the one loop's to start and stop; a second loop would never hear of any item.
            throw new InvalidOperationException("RunItemsAsync already runs on this member: one per-item loop per member.");
        }

        return RunItemsLoopAsync(work, cancellationToken);
    }

    private async Task RunItemsLoopAsync(Func<ItemWork, Task> work, CancellationToken cancellationToken)
    {
        try
        {
            await RunLoopAsync((acquired, token) => WorkOnItemsAsync(work, acquired, token), cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _itemsLoopRunning, 0);
        }
    }

    /// <summary>
    /// Works on the items of one acquisition (a state id in Acquired) until it ends: the member leaves Acquired, the claim
    /// window closes, the loop is cancelled or a work throws; then waits for every work to return.
    /// </summary>
    private async Task WorkOnItemsAsync(Func<ItemWork, Task> work, MemberState acquired, CancellationToken cancellationToken)
    {
        var inbox = new ItemInbox();
        var session = new ItemsSession(this, work, acquired.StateId);
        var latest = _ownership.Attach(inbox);
        if (latest is not null && latest.StateId != acquired.StateId)
        {
            session.StateMoved(latest);
        }

        try
        {
            using var registration = cancellationToken.Register(() => inbox.Add(new ItemMessage.Cancelled()));
            while (!session.Done)
            {
                foreach (var message in await inbox.TakeAsync())
                {
                    session.Handle(message, inbox);
                }

                session.EndIfDue(cancellationToken.IsCancellationRequested);
            }
        }
        finally
        {
            _ownership.Detach(inbox);
        }

        if (session.Failure is { } failure)
        {
            failure.Throw();
        }

        cancellationToken.ThrowIfCancellationRequested();
        if (session.Lapsed && _loop.State is { PartitionState: PartitionState.Acquired } state && state.StateId == acquired.StateId)
        {
            // The claim window closed: the member cannot know its locks are still its own, so it takes them again.
            await ReleaseAsync(cancellationToken);
        }
    }

    /// <summary>The works of one acquisition, driven by the loop's messages, on the loop's context.</summary>
    private sealed class ItemsSession(SetPartitioner partitioner, Func<ItemWork, Task> work, long stateId)
    {
        private readonly Dictionary<string, ItemRun> _current = new(StringComparer.Ordinal);
        private readonly HashSet<ItemRun> _running = [];
        private bool _ending;
        private bool _left;

        /// <summary>True once the acquisition ended and every work returned.</summary>
        public bool Done => _ending && _running.Count == 0;

        /// <summary>True when the claim window closed with items owned.</summary>
        public bool Lapsed { get; private set; }

        /// <summary>The first error of a work, to be thrown once every work returned.</summary>
        public ExceptionDispatchInfo? Failure { get; private set; }

        public void Handle(ItemMessage message, ItemInbox inbox)
        {
            switch (message)
            {
                case ItemMessage.Assigned assigned when !_ending:
                    Start(assigned.Owned, inbox);
                    break;
                case ItemMessage.Left left when _current.TryGetValue(left.Owned.Name, out var run) && run.Work.FencingToken == left.Owned.FencingToken:
                    run.Work.Stop(left.Reason);
                    break;
                case ItemMessage.StopAsked stop:
                    OnStopAsked(stop);
                    break;
                case ItemMessage.Lapsed:
                    Lapsed = true;
                    break;
                case ItemMessage.StateMoved moved:
                    StateMoved(moved.State);
                    break;
                case ItemMessage.Returned returned:
                    OnReturned(returned.Run);
                    break;
            }
        }

        public void StateMoved(MemberState state) => _left |= state.StateId != stateId || state.PartitionState != PartitionState.Acquired;

        /// <summary>Stops every work once the acquisition is over: Finishing for the loop's end, Lost otherwise.</summary>
        public void EndIfDue(bool cancelled)
        {
            if (_ending || !(cancelled || Failure is not null || Lapsed || _left))
            {
                return;
            }

            _ending = true;
            var reason = cancelled || Failure is not null ? ItemStopReason.Finishing : ItemStopReason.Lost;
            foreach (var run in _running)
            {
                run.Work.Stop(reason);
            }
        }

        private void Start(OwnedItem owned, ItemInbox inbox)
        {
            if (_current.TryGetValue(owned.Name, out var earlier))
            {
                // Not expected (an item is assigned again only after its work returned), but never two works for one
                // item unknowingly: the earlier one is told its ownership is gone.
                earlier.Work.Stop(ItemStopReason.Lost);
            }

            var run = new ItemRun(new ItemWork(owned.Name, owned.FencingToken));
            _current[owned.Name] = run;
            _running.Add(run);
            run.Task = Invoke(work, run.Work);
            _ = ReportReturnAsync(run, inbox);
        }

        private void OnStopAsked(ItemMessage.StopAsked stop)
        {
            if (_current.TryGetValue(stop.Item, out var run) && _running.Contains(run))
            {
                run.StopOpId = stop.OpId;
                run.Work.Stop(ItemStopReason.Revoked);
            }
            else
            {
                // No work runs for the item (it returned, or never started): nothing to wait for.
                partitioner._loop.Post(new ItemWorkStopped(stop.OpId));
            }
        }

        private void OnReturned(ItemRun run)
        {
            _running.Remove(run);
            if (_current.TryGetValue(run.Work.Item, out var current) && ReferenceEquals(current, run))
            {
                _current.Remove(run.Work.Item);
            }

            if (run.Task.Exception?.GetBaseException() is { } error && !(error is OperationCanceledException && run.Work.Stopping.IsCancellationRequested))
            {
                Failure ??= ExceptionDispatchInfo.Capture(error);
            }
            else if (run.Task.IsCanceled && !run.Work.Stopping.IsCancellationRequested)
            {
                Failure ??= ExceptionDispatchInfo.Capture(new OperationCanceledException($"The work on item '{run.Work.Item}' was cancelled without being told to stop."));
            }

            if (run.StopOpId is { } opId)
            {
                partitioner._loop.Post(new ItemWorkStopped(opId));
            }
        }

        private static Task Invoke(Func<ItemWork, Task> work, ItemWork itemWork)
        {
            try
            {
                return work(itemWork) ?? Task.CompletedTask;
            }
            catch (Exception exception)
            {
                return Task.FromException(exception);
            }
        }

        /// <summary>Tells the loop when the work returns, with a plain await: it goes on from the loop's context.</summary>
        private static async Task ReportReturnAsync(ItemRun run, ItemInbox inbox)
        {
            try
            {
                await run.Task;
            }
            catch (Exception)
            {
                // The loop reads the outcome from the task.
            }

            inbox.Add(new ItemMessage.Returned(run));
        }
    }
}
