using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The start of a round, after the stability wait: compute the share, then make sure its lock folders exist.
/// The folders this member does not know are created at once, each with this member's lock node, in multi
/// batches; a batch that finds a folder already there reads its folders (a multiRead) to learn which exist, and
/// creates the rest. Every request and every reply is bounded by the share: <c>P/locks</c> is never listed,
/// however many folders earlier item sets or other members left there (kazoo ensures each folder with its own
/// round trips, one item at a time). Folders this member already saw or created, and after its first Acquired
/// every folder, are not touched again: the recipe never deletes them.
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

        var round = new Round(partyWatchOpId, share, CreatingFolders.Empty, Lost: false);
        step.SetPhase(new RoundPhase(round));
        LedgerDecisions.DeleteUnwanted(step, round);
        LedgerDecisions.Sweep(step);
        EnsureFolders(step, round, []);
    }

    /// <summary>
    /// Step 1 (also the restart after a lost round, or after a folder was found missing): create the share's
    /// folders that are not known to exist. Once acquired, a member presumes every folder exists except
    /// <paramref name="missing"/>, those a request just found gone.
    /// </summary>
    public static void EnsureFolders(Step step, Round round, IEnumerable<string> missing)
    {
        round = round.Restarted(CreatingFolders.Empty);
        var gone = missing.ToImmutableHashSet(StringComparer.Ordinal);
        var unknown = step.State.WasAcquired
            ? round.Share.Where(gone.Contains).ToImmutableArray()
            : gone.IsEmpty
                ? step.State.KnownFolders.Unknown(step.Config, round.Share)
                : round.Share.Where(item => gone.Contains(item) || !step.State.KnownFolders.Contains(step.Config, item)).ToImmutableArray();
        if (unknown.IsEmpty)
        {
            Locking.Begin(step, round);
        }
        else
        {
            CreateFolders(step, round, unknown);
        }
    }

    /// <summary>
    /// Step 2: the missing folders in multi batches (persistent, never deleted, as kazoo leaves them). An item
    /// with no lock node of this member, known or possible, gets its lock node in the same multi, right after its
    /// folder: if the multi applies, that node is the folder's first and the lock is held without a read.
    /// </summary>
    public static void CreateFolders(Step step, Round round, ImmutableArray<string> missing)
    {
        var batches = SendFolderCreates(step, ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty, missing);
        ContinueCreatingFolders(step, round, CreatingFolders.Empty with { Batches = batches });
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

        if (result.Error == ZooKeeperError.Ok && !kept.IsEmpty)
        {
            creating = creating with { Held = creating.Held.Push(kept) };
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
                // A folder of the batch exists (left by an earlier run, or a peer made it meanwhile) and the whole
                // multi failed: read the batch's folders to learn which exist. The reply holds each folder's
                // contenders, so it is bounded by the batch and the party, not by P/locks.
                long id = step.NewId();
                step.Emit(new MultiGetChildren(id, [.. items.Select(item => Folder(step, item))]));
                batches = batches.Add(id, items);
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

    /// <summary>
    /// The read of a batch whose folder creates met NodeExists came back: the folders it found are known, the
    /// others are created again (with lock nodes where the ledger allows).
    /// </summary>
    public static void OnFolderProbe(Step step, Round round, CreatingFolders creating, MultiReadCompleted result)
    {
        var items = creating.Batches[result.OpId];
        var batches = creating.Batches.Remove(result.OpId);
        if (result.Error != ZooKeeperError.Ok)
        {
            OnError(step, round, "multi read", Folder(step, items[0]), result.Error);
            return;
        }

        var found = ImmutableArray.CreateBuilder<string>();
        var missing = ImmutableArray.CreateBuilder<string>();
        for (int i = 0; i < items.Length; i++)
        {
            var error = i < result.Results.Length ? result.Results[i].Error : ZooKeeperError.BadArguments;
            switch (error)
            {
                case ZooKeeperError.Ok:
                    found.Add(items[i]);
                    break;
                case ZooKeeperError.NoNode:
                    missing.Add(items[i]);
                    break;
                default:
                    OnError(step, round, "get children", Folder(step, items[i]), error);
                    return;
            }
        }

        RememberFolders(step, found);
        batches = SendFolderCreates(step, batches, missing.ToImmutable());
        ContinueCreatingFolders(step, round, creating with { Batches = batches });
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
            EnsureFolders(step, round, []);
        }
    }

    /// <summary>
    /// A lock create or folder read found no folder for <paramref name="items"/>: someone deleted it by hand.
    /// The items are no longer known; a round that is locking goes back to step 1 and creates them (and the results
    /// of its earlier reads are then ignored). A round still creating folders needs nothing more: its lock creates,
    /// sent later, meet the folder missing again if it is, and come back here then.
    /// </summary>
    public static void OnFoldersMissing(Step step, IEnumerable<string> items)
    {
        var gone = items.ToImmutableArray();
        step.Update(s => s with { KnownFolders = s.KnownFolders.Without(step.Edit, s.Config, gone) });
        if (step.Phase is RoundPhase { Round: { Lost: false, Step: LockingStep } round })
        {
            EnsureFolders(step, round, gone);
        }
    }

    /// <summary>A party change during acquisition: delete this member's lock nodes and wait again, at once.</summary>
    public static void Abort(Step step)
    {
        LedgerDecisions.DeleteAllOwnNodes(step);
        LedgerDecisions.Sweep(step);
        StabilityWait.Begin(step);
    }

    /// <summary>
    /// Sends the creates of <paramref name="missing"/>'s folders and adds their batches. An item with no lock node of
    /// this member, known or possible, gets its lock node in the same multi, right after its folder: if the multi
    /// applies, that node is the folder's first and the lock is held without a read.
    /// </summary>
    private static ImmutableSortedDictionary<long, ImmutableArray<string>> SendFolderCreates(
        Step step, ImmutableSortedDictionary<long, ImmutableArray<string>> batches, ImmutableArray<string> missing)
    {
        var ledger = step.Ledger;
        var withLock = missing.Where(item => !ledger.OwnNodes.ContainsKey(item) && !ledger.Uncertain.Contains(item)).ToImmutableArray();
        foreach (var batch in Batches.OfItems(step.Config, withLock, Math.Max(1, step.Config.BatchSize / 2)))
        {
            long id = step.NewId();
            batches = batches.Add(id, batch);
            LedgerDecisions.CreateFoldersWithLockNodes(step, id, batch);
        }

        var withoutLock = missing.Where(item => ledger.OwnNodes.ContainsKey(item) || ledger.Uncertain.Contains(item));
        foreach (var batch in Batches.OfItems(step.Config, withoutLock, step.Config.BatchSize))
        {
            long id = step.NewId();
            var ops = batch.Select(item => (WriteOp)new CreateOp(Folder(step, item), [], NodeKind.Persistent, step.Config.Acl.Folder));
            step.Emit(new Multi(id, [.. ops]));
            batches = batches.Add(id, batch);
        }

        return batches;
    }

    private static void OnError(Step step, Round round, string operation, string path, ZooKeeperError error)
    {
        if (error == ZooKeeperError.ConnectionLoss)
        {
            MarkLost(step, round);
        }
        else
        {
            Failures.Unexpected(step, operation, path, error);
        }
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
        step.Update(s => s with { KnownFolders = s.KnownFolders.With(step.Edit, s.Config, items) });

    private static string Folder(Step step, string item) => ZnodePaths.LockFolder(step.Config.Path, item);
}
