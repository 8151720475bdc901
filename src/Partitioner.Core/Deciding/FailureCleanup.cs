using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// What Core still does in Failure, which is otherwise terminal: it finishes deleting this member's lock nodes,
/// because on a client the user shares the session outlives the member, and a node left behind would block its
/// item for everyone until the process exits. A lock create answered after the failure has its nodes deleted; a
/// create, delete or sweep lost with the connection (or answered with a transient code) leaves its items
/// uncertain or its paths to delete again, and the member sweeps those folders and sends those deletes again
/// when the connection is back (SessionReconnected), or after <see cref="PartitionerConfig.MaxReactionTime"/>
/// when no suspension was reported. Any other result changes nothing: there is no one left to report it to.
/// </summary>
/// <remarks>
/// The work is bounded by the member's own nodes: it ends when the ledger is settled, or when the session ends
/// (its ephemeral nodes go with it). Commands are built here rather than through <see cref="DecisionBuilder"/>, which takes
/// none once the member is in Failure.
/// </remarks>
internal static class FailureCleanup
{
    /// <summary>Decides one event in Failure.</summary>
    public static Decision Decide(MemberState state, Event @event)
    {
        var cleanup = new Cleanup(state);
        switch (@event)
        {
            case OperationCompleted result:
                cleanup.OnResult(result);
                break;
            case SessionSuspended:
                cleanup.State = cleanup.State.SessionSuspended();
                break;
            case SessionReconnected:
                cleanup.State = cleanup.State.SessionReconnected();
                cleanup.Resume();
                break;
            case TimerFired timer when timer.TimerId == state.RetryTimerId:
                cleanup.State = cleanup.State.RetryTimerEnded();
                if (!cleanup.State.Suspended)
                {
                    cleanup.Resume();
                }

                break;
            case SessionExpired or SessionAuthFailed:
                // The session is gone, and every ephemeral node of this member with it.
                cleanup.State = cleanup.State.LockNodesGoneWithSession();
                break;
        }

        return cleanup.ToDecision();
    }

    /// <summary>
    /// At the failure itself, unless suspended (the reconnect does it then): sends again the deletes lost with the
    /// connection and sweeps the folders of creates already uncertain, which no round will read any more.
    /// </summary>
    public static void Begin(DecisionBuilder decision)
    {
        if (decision.State.Suspended)
        {
            return;
        }

        var lost = decision.Ledger.LostDeletes.ToImmutableArray();
        decision.SetLedger(decision.Ledger.LostDeletesResent());
        LedgerDecisions.DeletePaths(decision, lost);
        var sweeping = decision.Ledger.Sweeps.Values.SelectMany(swept => swept).ToImmutableHashSet(StringComparer.Ordinal);
        var items = decision.Ledger.Uncertain.Where(item => !sweeping.Contains(item));
        foreach (var batch in Batches.OfItems(decision.Config, items, decision.Config.BatchSize))
        {
            long id = decision.NewId();
            decision.Emit(new MultiGetChildren(id, [.. batch.Select(item => ZnodePaths.LockFolder(decision.Config.Path, item))]));
            decision.SetLedger(decision.Ledger.SweepSent(id, batch));
        }
    }

    /// <summary>One decision in Failure: the state as it evolves and the commands it asks for.</summary>
    private sealed class Cleanup(MemberState state)
    {
        private readonly ImmutableArray<Command>.Builder _commands = ImmutableArray.CreateBuilder<Command>();

        // This decision's edit: the ledger's maps it made are changed in place by it only (see Edit).
        private readonly Edit _edit = new();

        public MemberState State { get; set; } = state;

        private LockLedger Ledger
        {
            get => State.Ledger;
            set => State = State.WithLedger(value);
        }

        public Decision ToDecision() => new(State, _commands.ToImmutable());

        public void OnResult(OperationCompleted result)
        {
            var ledger = Ledger;
            if (ledger.PendingCreates.TryGetValue(result.OpId, out var items))
            {
                Ledger = ledger.CreatesAnswered(result.OpId);
                OnCreated(items, result, static (_, i) => true);
            }
            else if (ledger.PendingFirstCreates.TryGetValue(result.OpId, out var firsts))
            {
                Ledger = ledger.FirstCreatesAnswered(result.OpId);
                // The ops alternate folder, lock node: only the lock nodes (odd places) are this member's to delete.
                OnCreated(firsts, result, static (_, i) => i % 2 == 1);
            }
            else if (ledger.PendingDeletes.TryGetValue(result.OpId, out var paths))
            {
                Ledger = ledger.DeletesAnswered(_edit, result.OpId);
                OnDeleted(paths, result);
            }
            else if (ledger.Sweeps.TryGetValue(result.OpId, out var swept))
            {
                Ledger = ledger.SweepAnswered(result.OpId);
                OnSwept(swept, result);
            }
        }

        /// <summary>Sends again the deletes lost with the connection and sweeps every uncertain folder not being read.</summary>
        public void Resume()
        {
            var lost = Ledger.LostDeletes.ToImmutableArray();
            Ledger = Ledger.LostDeletesResent();
            Delete(lost);
            var sweeping = Ledger.Sweeps.Values.SelectMany(swept => swept).ToImmutableHashSet(StringComparer.Ordinal);
            var items = Ledger.Uncertain.Where(item => !sweeping.Contains(item));
            foreach (var batch in Batches.OfItems(State.Config, items, State.Config.BatchSize))
            {
                long id = NewId();
                _commands.Add(new MultiGetChildren(id, [.. batch.Select(item => ZnodePaths.LockFolder(State.Config.Path, item))]));
                Ledger = Ledger.SweepSent(id, batch);
            }
        }

        private void OnCreated(ImmutableArray<string> items, OperationCompleted result, Func<WriteResult, int, bool> isLockNode)
        {
            if (result is MultiCompleted { Error: ZooKeeperError.Ok } multi)
            {
                Delete([.. multi.Results.Where(isLockNode).Select(r => r.CreatedPath).OfType<string>()]);
            }
            else if (Transients.IsTransient(result.Error))
            {
                Ledger = Ledger.BecameUncertain(items);
                RetryLater();
            }
        }

        private void OnDeleted(ImmutableArray<string> paths, OperationCompleted result)
        {
            if (result.Error == ZooKeeperError.NoNode && paths.Length > 1)
            {
                // One node was already gone and the whole multi failed: delete each on its own.
                foreach (string path in paths)
                {
                    Delete([path]);
                }
            }
            else if (Transients.IsTransient(result.Error))
            {
                Ledger = Ledger.DeletesLost(paths);
                RetryLater();
            }
        }

        private void OnSwept(ImmutableArray<string> items, OperationCompleted result)
        {
            if (result is not MultiReadCompleted { Error: ZooKeeperError.Ok } read)
            {
                SettleUnlessTransient(items, result.Error);
                return;
            }

            for (int i = 0; i < items.Length; i++)
            {
                var folder = i < read.Results.Length ? read.Results[i] : new ChildrenResult(ZooKeeperError.BadArguments, []);
                if (folder.Error == ZooKeeperError.Ok)
                {
                    // In Failure no node is kept: every node carrying this member's prefix goes.
                    Ledger = Ledger.Settled(items[i]);
                    string folderPath = ZnodePaths.LockFolder(State.Config.Path, items[i]);
                    Delete([.. folder.Children.Where(child => LockNode.IsOwnedBy(child, State.Config.ContenderPrefix)).Select(child => folderPath + "/" + child)]);
                }
                else
                {
                    SettleUnlessTransient([items[i]], folder.Error);
                }
            }
        }

        /// <summary>A read that failed for good (NoNode, NoAuth...) settles its items: there is nothing more to do for them.</summary>
        private void SettleUnlessTransient(ImmutableArray<string> items, ZooKeeperError error)
        {
            if (Transients.IsTransient(error))
            {
                RetryLater();
                return;
            }

            foreach (string item in items)
            {
                Ledger = Ledger.Settled(item);
            }
        }

        private void Delete(ImmutableArray<string> paths)
        {
            var deleting = Ledger.Deleting;
            if (!deleting.IsEmpty)
            {
                paths = paths.RemoveAll(deleting.ContainsKey);
            }

            foreach (var batch in Batches.OfPaths(paths, State.Config.BatchSize))
            {
                long id = NewId();
                _commands.Add(new Multi(id, [.. batch.Select(path => (WriteOp)new DeleteOp(path))]));
                Ledger = Ledger.DeletesSent(_edit, id, batch);
            }
        }

        /// <summary>Starts the retry timer unless one runs or the session is suspended (the reconnect resumes).</summary>
        private void RetryLater()
        {
            if (State.RetryTimerId is null && !State.Suspended)
            {
                long id = NewId();
                _commands.Add(new StartTimer(id, State.Config.MaxReactionTime));
                State = State.RetryTimerStarted(id);
            }
        }

        private long NewId()
        {
            long id = State.NextId;
            State = State.IdsTakenUpTo(id + 1);
            return id;
        }
    }
}
