using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <content>The convenience loop that follows the standard consumer protocol.</content>
public sealed partial class SetPartitioner
{
    /// <summary>
    /// Runs the standard loop: on each acquisition calls <paramref name="work"/> with the items and a token;
    /// when the member leaves Acquired, or its ownership deadline passes, cancels that token, waits for
    /// <paramref name="work"/> to return, then releases the set, and goes round again.
    /// </summary>
    /// <remarks>
    /// <para>The token is cancelled no later than the instant <see cref="AcquiredItems"/> turns empty by the
    /// member's own clock (90 % of the session timeout after the latest instant the leader is known to have heard of the session), by a timer
    /// re-armed as confirmations come in, not only on a session event: a member cut off from ZooKeeper stops its
    /// work before its session can expire on the server. The set is then released and allocated again, since the
    /// member can no longer know its locks are its own. Use <see cref="RunWithTokensAsync"/> to get each item's
    /// fencing token too, which also fences a paused process that cannot see the deadline pass.</para>
    /// <para>If <paramref name="work"/> returns while the member is still Acquired, the loop waits for the member
    /// to leave Acquired before releasing; it does not call <paramref name="work"/> twice for one acquisition.</para>
    /// </remarks>
    /// <param name="work">The work on one acquired set; it should stop soon after its token is cancelled.</param>
    /// <param name="cancellationToken">Stops the loop: the member then finishes (see <see cref="FinishAsync"/>) and the call returns.</param>
    /// <returns>A task that completes when the loop is cancelled and the member finished, or after <see cref="FinishAsync"/> was called.</returns>
    /// <exception cref="PartitionerFailedException">The member reached Failure without being asked to finish.</exception>
    /// <exception cref="InvalidOperationException">The member is in <see cref="RebalanceMode.Cooperative"/> mode: use <see cref="RunItemsAsync"/>.</exception>
    public Task RunAsync(Func<IReadOnlyList<string>, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        RefuseCooperative(nameof(RunAsync));
        return RunLoopAsync(
            (acquired, token) => WorkOnSetAsync((state, t) => work(state.AcquiredItems, t), acquired, token), cancellationToken);
    }

    /// <summary>
    /// The loop of <see cref="RunAsync"/>, handing <paramref name="work"/> each owned item with its fencing token
    /// (see <see cref="OwnedItem.FencingToken"/>): pass the token with every write the work makes for the item, and
    /// have the store refuse a write whose token is below the highest it has seen for that item.
    /// </summary>
    /// <param name="work">The work on one acquired set; it should stop soon after its token is cancelled.</param>
    /// <param name="cancellationToken">Stops the loop: the member then finishes (see <see cref="FinishAsync"/>) and the call returns.</param>
    /// <returns>A task that completes when the loop is cancelled and the member finished, or after <see cref="FinishAsync"/> was called.</returns>
    /// <exception cref="PartitionerFailedException">The member reached Failure without being asked to finish.</exception>
    /// <exception cref="InvalidOperationException">The member is in <see cref="RebalanceMode.Cooperative"/> mode: use <see cref="RunItemsAsync"/>.</exception>
    public Task RunWithTokensAsync(Func<IReadOnlyList<OwnedItem>, CancellationToken, Task> work, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(work);
        RefuseCooperative(nameof(RunWithTokensAsync));
        return RunLoopAsync(
            (acquired, token) => WorkOnSetAsync((state, t) => work(state.OwnedItems, t), acquired, token), cancellationToken);
    }

    /// <summary>A set-wide work cannot be stopped item by item, which is all a cooperative hand-off stops.</summary>
    private void RefuseCooperative(string method)
    {
        if (Config.Rebalance == RebalanceMode.Cooperative)
        {
            throw new InvalidOperationException(
                $"{method} runs one work for the whole set, which the Cooperative rebalance mode cannot stop item by item; " +
                "use RunItemsAsync, which runs a work per item, or the Eager mode.");
        }
    }

    /// <summary>
    /// The loop both APIs share: waits for the member to leave Allocating, releases in Release, hands each acquisition to
    /// <paramref name="workOnAcquired"/>, and ends on Failure; on cancellation or a work's error the member finishes.
    /// </summary>
    private async Task RunLoopAsync(Func<MemberState, CancellationToken, Task> workOnAcquired, CancellationToken cancellationToken)
    {
        try
        {
            await LoopAsync(workOnAcquired, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await FinishAsync();
        }
        catch (Exception exception) when (exception is not PartitionerFailedException)
        {
            // The work failed: the member cannot know whether its items are safe to hand on mid-way,
            // so it leaves the party (releasing its locks) before the error goes to the caller.
            await FinishAsync();
            throw;
        }
    }

    private async Task LoopAsync(Func<MemberState, CancellationToken, Task> workOnAcquired, CancellationToken cancellationToken)
    {
        while (true)
        {
            var state = await WaitForAsync(o => o.Current.PartitionState != PartitionState.Allocating, cancellationToken);
            switch (state.PartitionState)
            {
                case PartitionState.Failure when FinishRequested:
                    return;
                case PartitionState.Failure:
                    throw new PartitionerFailedException(state.FailureReason);
                case PartitionState.Release:
                    await ReleaseAsync(cancellationToken);
                    break;
                default:
                    await workOnAcquired(state, cancellationToken);
                    break;
            }
        }
    }

    /// <summary>
    /// Runs the work on one acquired set until it returns, cancelling it when the member leaves Acquired or when its
    /// ownership deadline passes; after the deadline the set is released, so that it is allocated again.
    /// </summary>
    private async Task WorkOnSetAsync(
        Func<MemberState, CancellationToken, Task> work, MemberState acquired, CancellationToken cancellationToken)
    {
        using var workCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var deadline = new WorkDeadline(_time, () => ClaimRemaining, workCancellation);
        var left = WaitForAsync(o => o.Current.StateId != acquired.StateId, cancellationToken);
        deadline.Start();
        var working = StartWork(work, acquired, workCancellation.Token);
        if (await FirstOfAsync(working, left) == left)
        {
            // Cancel, not CancelAsync: the work's callbacks run here, in the caller's context, not on the thread pool.
            workCancellation.Cancel();
        }

        try
        {
            await working;
        }
        catch (OperationCanceledException) when (workCancellation.IsCancellationRequested)
        {
            // The work stopped because it was asked to.
        }

        // No work left to stop: the timer goes with it.
        deadline.Dispose();
        cancellationToken.ThrowIfCancellationRequested();
        if (deadline.Passed && !left.IsCompleted)
        {
            await ReleaseAsync(cancellationToken);
        }

        await left;
    }

    /// <summary>
    /// The first of two tasks to finish, found with plain awaits only. Task.WhenAny and Task.WaitAsync would
    /// complete on the thread pool when a task of the shell (completed with RunContinuationsAsynchronously)
    /// finishes first, and from there post to the caller's context: a simulator's single thread would see a
    /// foreign thread. A plain await posts from the thread that completed the task.
    /// </summary>
    private static async Task<Task> FirstOfAsync(Task first, Task second)
    {
        var winner = new TaskCompletionSource<Task>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = ReportWhenDoneAsync(first, winner);
        _ = ReportWhenDoneAsync(second, winner);
        return await winner.Task;
    }

    private static async Task ReportWhenDoneAsync(Task task, TaskCompletionSource<Task> winner)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // The caller awaits the task itself and sees its outcome there.
        }

        winner.TrySetResult(task);
    }

    private static Task StartWork(Func<MemberState, CancellationToken, Task> work, MemberState acquired, CancellationToken token)
    {
        try
        {
            return work(acquired, token) ?? Task.CompletedTask;
        }
        catch (Exception exception)
        {
            return Task.FromException(exception);
        }
    }
}
