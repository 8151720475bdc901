using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The start of a round, after the stability wait: compute the share, then make sure its lock folders
/// exist with one read of <c>P/locks</c> and batched creates of the missing ones (kazoo ensures each
/// folder with its own round trips, one item at a time). Folders this member already saw or created, and
/// after its first Acquired every folder, are not read again: the recipe never deletes them.
/// </summary>
internal static class Allocation
{
    public static void StartRound(Step step, ImmutableArray<string> partyChildren, long partyWatchOpId)
    {
        if (!partyChildren.Contains(step.Config.PartyNodeName, StringComparer.Ordinal))
        {
            // This member's party node is gone (deleted by hand, or the read raced the join): kazoo would
            // stall on a ValueError here. Join again; the party change restarts the wait.
            SetupDecisions.Rejoin(step);
            StabilityWait.Begin(step);
            return;
        }

        if (Shares.Compute(step, partyChildren) is not { } share)
        {
            return;
        }

        var round = new Round(partyWatchOpId, share, new ListingFolders(0), Lost: false);
        step.SetPhase(new RoundPhase(round));
        LedgerDecisions.DeleteUnwanted(step, round);
        LedgerDecisions.Sweep(step);
        if (step.State.WasAcquired || share.All(item => step.State.KnownFolders.Contains(step.Config, item)))
        {
            Locking.Begin(step, round);
        }
        else
        {
            ListFolders(step, round);
        }
    }

    /// <summary>Step 1 (also the restart after a lost round): one read of <c>P/locks</c>.</summary>
    public static void ListFolders(Step step, Round round)
    {
        long id = step.NewId();
        step.Emit(new GetChildren(id, ZnodePaths.Locks(step.Config.Path), Watch: false));
        step.SetPhase(new RoundPhase(round.Restarted(id)));
    }

    public static void OnFolderList(Step step, Round round, ChildrenCompleted result)
    {
        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                var existing = result.Children.ToImmutableHashSet(StringComparer.Ordinal);
                var missing = round.Share.Where(item => !existing.Contains(item)).ToImmutableArray();
                // Every folder listed is remembered, not only the share's: the next round's share may be another.
                RememberFolders(step, result.Children);
                CreateFolders(step, round, missing);
                break;
            case ZooKeeperError.ConnectionLoss:
                MarkLost(step, round);
                break;
            default:
                Failures.Unexpected(step, "get children", ZnodePaths.Locks(step.Config.Path), result.Error);
                break;
        }
    }

    /// <summary>
    /// Step 2: the missing folders in multi batches (persistent, never deleted, as kazoo leaves them). An item
    /// with no lock node of this member, known or possible, gets its lock node in the same multi, right after its
    /// folder: if the multi applies, that node is the folder's first and the lock is held without a read.
    /// </summary>
    public static void CreateFolders(Step step, Round round, ImmutableArray<string> missing)
    {
        var ledger = step.Ledger;
        var withLock = missing.Where(item => !ledger.OwnNodes.ContainsKey(item) && !ledger.Uncertain.Contains(item)).ToImmutableArray();
        var batches = ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty;
        foreach (var batch in Batches.OfItems(step.Config, withLock, Math.Max(1, step.Config.BatchSize / 2)))
        {
            long id = step.NewId();
            batches = batches.Add(id, batch);
            LedgerDecisions.CreateFoldersWithLockNodes(step, id, batch);
        }

        foreach (var batch in Batches.OfItems(step.Config, missing.Except(withLock, StringComparer.Ordinal), step.Config.BatchSize))
        {
            long id = step.NewId();
            var ops = batch.Select(item => (WriteOp)new CreateOp(Folder(step, item), [], NodeKind.Persistent, step.Config.Acl.Folder));
            step.Emit(new Multi(id, [.. ops]));
            batches = batches.Add(id, batch);
        }

        ContinueCreatingFolders(step, round, new CreatingFolders(batches, ImmutableSortedSet.Create<string>(StringComparer.Ordinal)));
    }

    /// <summary>
    /// A multi of folders with lock nodes came back (the ledger has recorded the nodes; <paramref name="kept"/>
    /// are those it kept for this round). Applied: those items are held. NodeExists: a peer created a folder,
    /// nothing applied, and the batch falls back to single folder creates; the lock nodes come in step 3.
    /// </summary>
    public static void OnFoldersWithLockNodes(Step step, MultiCompleted result, ImmutableArray<string> kept)
    {
        if (step.Phase is not RoundPhase { Round: { Lost: false, Step: CreatingFolders creating } round } || !creating.Batches.ContainsKey(result.OpId))
        {
            return;
        }

        if (result.Error == ZooKeeperError.Ok)
        {
            creating = creating with { Held = creating.Held.Union(kept) };
        }

        OnFolderMulti(step, round, creating, result);
    }

    public static void OnFolderMulti(Step step, Round round, CreatingFolders creating, MultiCompleted result)
    {
        var items = creating.Batches[result.OpId];
        var batches = creating.Batches.Remove(result.OpId);
        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                RememberFolders(step, items);
                break;
            case ZooKeeperError.NodeExists:
                // A peer created one of them meanwhile and the whole multi failed: create each on its own.
                foreach (string item in items)
                {
                    long id = step.NewId();
                    step.Emit(new CreateNode(id, Folder(step, item), [], NodeKind.Persistent, step.Config.Acl.Folder));
                    batches = batches.Add(id, [item]);
                }

                break;
            case ZooKeeperError.ConnectionLoss:
                MarkLost(step, round);
                return;
            default:
                var (path, error) = Failures.FailingOp([.. items.Select(item => Folder(step, item))], result);
                Failures.Unexpected(step, "multi create", path, error);
                return;
        }

        ContinueCreatingFolders(step, round, creating with { Batches = batches });
    }

    public static void OnFolderCreate(Step step, Round round, CreatingFolders creating, CreateCompleted result)
    {
        string item = creating.Batches[result.OpId][0];
        switch (result.Error)
        {
            case ZooKeeperError.Ok or ZooKeeperError.NodeExists:
                RememberFolders(step, [item]);
                ContinueCreatingFolders(step, round, creating with { Batches = creating.Batches.Remove(result.OpId) });
                break;
            case ZooKeeperError.ConnectionLoss:
                MarkLost(step, round);
                break;
            default:
                Failures.Unexpected(step, "create", Folder(step, item), result.Error);
                break;
        }
    }

    /// <summary>
    /// A read or create of the round was lost with the connection. The round restarts from step 1 on the
    /// retry (its results until then are ignored), keeping the lock nodes it knows of.
    /// </summary>
    public static void MarkLost(Step step, Round round)
    {
        step.SetPhase(new RoundPhase(round.MarkedLost()));
        Retries.Schedule(step);
    }

    public static void Resume(Step step)
    {
        if (step.Phase is RoundPhase { Round: { Lost: true } round })
        {
            ListFolders(step, round);
        }
    }

    /// <summary>
    /// A lock create or folder read found no folder for <paramref name="items"/>: someone deleted it by hand.
    /// The items are no longer known; a round that is locking lists the folders again (creating the missing
    /// ones), and the results of its earlier reads are then ignored. A round already listing needs nothing more:
    /// its read was sent after the failed request, so it sees the folder missing.
    /// </summary>
    public static void OnFoldersMissing(Step step, IEnumerable<string> items)
    {
        step.Update(s => s with { KnownFolders = s.KnownFolders.Without(s.Config, items) });
        if (step.Phase is RoundPhase { Round: { Lost: false, Step: LockingStep } round })
        {
            ListFolders(step, round);
        }
    }

    /// <summary>A party change during acquisition: delete this member's lock nodes and wait again, at once.</summary>
    public static void Abort(Step step)
    {
        LedgerDecisions.DeleteAllOwnNodes(step);
        LedgerDecisions.Sweep(step);
        StabilityWait.Begin(step);
    }

    private static void ContinueCreatingFolders(Step step, Round round, CreatingFolders creating)
    {
        if (creating.Batches.IsEmpty)
        {
            Locking.Begin(step, round, creating.Held);
        }
        else
        {
            step.SetPhase(new RoundPhase(round.At(creating)));
        }
    }

    private static void RememberFolders(Step step, IEnumerable<string> items) =>
        step.Update(s => s with { KnownFolders = s.KnownFolders.With(s.Config, items) });

    private static string Folder(Step step, string item) => ZnodePaths.LockFolder(step.Config.Path, item);
}
