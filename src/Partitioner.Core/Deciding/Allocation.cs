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
    public static void StartRound(DecisionBuilder decision, ImmutableArray<string> partyChildren, long partyWatchOpId)
    {
        if (!partyChildren.Contains(decision.Config.PartyNodeName, StringComparer.Ordinal))
        {
            // This member's party node is gone (deleted by hand, or the read raced the join): kazoo would
            // stall on a ValueError here. Join again; the party change restarts the wait.
            SetupDecisions.Rejoin(decision);
            StabilityWait.Begin(decision);
            return;
        }

        if (Shares.Compute(decision, partyChildren) is not { } share)
        {
            return;
        }

        var round = new Round(partyWatchOpId, share, CreatingFolders.Empty, Lost: false);
        decision.SetPhase(new RoundPhase(round));
        LedgerDecisions.DeleteUnwanted(decision, round);
        LedgerDecisions.Sweep(decision);
        EnsureFolders(decision, round, []);
    }

    /// <summary>
    /// Stage 1 (also the restart after a lost round, or after a folder was found missing): create the share's
    /// folders that are not known to exist. Once acquired, a member presumes every folder exists except
    /// <paramref name="missing"/>, those a request just found gone.
    /// </summary>
    public static void EnsureFolders(DecisionBuilder decision, Round round, IEnumerable<string> missing)
    {
        round = round.Restarted(CreatingFolders.Empty);
        var gone = missing.ToImmutableHashSet(StringComparer.Ordinal);
        var unknown = decision.State.WasAcquired
            ? round.Share.Where(gone.Contains).ToImmutableArray()
            : gone.IsEmpty
                ? decision.State.KnownFolders.Unknown(decision.Config, round.Share)
                : round.Share.Where(item => gone.Contains(item) || !decision.State.KnownFolders.Contains(decision.Config, item)).ToImmutableArray();
        if (unknown.IsEmpty)
        {
            Locking.Begin(decision, round);
        }
        else
        {
            CreateFolders(decision, round, unknown);
        }
    }

    /// <summary>
    /// Stage 2: the missing folders in multi batches (persistent, never deleted, as kazoo leaves them). An item
    /// with no lock node of this member, known or possible, gets its lock node in the same multi, right after its
    /// folder: if the multi applies, that node is the folder's first and the lock is held without a read.
    /// </summary>
    public static void CreateFolders(DecisionBuilder decision, Round round, ImmutableArray<string> missing)
    {
        var batches = SendFolderCreates(decision, ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty, missing);
        ContinueCreatingFolders(decision, round, CreatingFolders.Empty with { Batches = batches });
    }

    /// <summary>
    /// A multi of folders with lock nodes came back (the ledger has recorded the nodes; <paramref name="kept"/>
    /// are those it kept for this round). Applied: those items are held. NodeExists: a peer created a folder,
    /// nothing applied, and the batch falls back to single folder creates; the lock nodes come in stage 3.
    /// </summary>
    public static void OnFoldersWithLockNodes(DecisionBuilder decision, MultiCompleted result, ImmutableArray<string> kept)
    {
        if (decision.Phase is not RoundPhase { Round: { Lost: false, Stage: CreatingFolders creating } round } || !creating.Batches.ContainsKey(result.OpId))
        {
            return;
        }

        if (result.Error == ZooKeeperError.Ok && !kept.IsEmpty)
        {
            creating = creating with { Held = creating.Held.Push(kept) };
        }

        OnFolderMulti(decision, round, creating, result);
    }

    public static void OnFolderMulti(DecisionBuilder decision, Round round, CreatingFolders creating, MultiCompleted result)
    {
        var items = creating.Batches[result.OpId];
        var batches = creating.Batches.Remove(result.OpId);
        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                RememberFolders(decision, items);
                break;
            case ZooKeeperError.NodeExists:
                // A folder of the batch exists (left by an earlier run, or a peer made it meanwhile) and the whole
                // multi failed: read the batch's folders to learn which exist. The reply holds each folder's
                // contenders, so it is bounded by the batch and the party, not by P/locks.
                long id = decision.NewId();
                decision.Emit(new MultiGetChildren(id, [.. items.Select(item => Folder(decision, item))]));
                batches = batches.Add(id, items);
                break;
            case ZooKeeperError.ConnectionLoss:
                Retries.MarkLost(decision, round);
                return;
            default:
                var (path, error) = FailingOp.In([.. items.Select(item => Folder(decision, item))], result);
                Failures.Unexpected(decision, "multi create", path, error);
                return;
        }

        ContinueCreatingFolders(decision, round, creating with { Batches = batches });
    }

    /// <summary>
    /// The read of a batch whose folder creates met NodeExists came back: the folders it found are known, the
    /// others are created again (with lock nodes where the ledger allows).
    /// </summary>
    public static void OnFolderProbe(DecisionBuilder decision, Round round, CreatingFolders creating, MultiReadCompleted result)
    {
        var items = creating.Batches[result.OpId];
        var batches = creating.Batches.Remove(result.OpId);
        if (result.Error != ZooKeeperError.Ok)
        {
            OnError(decision, round, "multi read", Folder(decision, items[0]), result.Error);
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
                    OnError(decision, round, "get children", Folder(decision, items[i]), error);
                    return;
            }
        }

        RememberFolders(decision, found);
        batches = SendFolderCreates(decision, batches, missing.ToImmutable());
        ContinueCreatingFolders(decision, round, creating with { Batches = batches });
    }

    public static void Resume(DecisionBuilder decision)
    {
        if (decision.Phase is RoundPhase { Round: { Lost: true } round })
        {
            EnsureFolders(decision, round, []);
        }
    }

    /// <summary>
    /// A lock create or folder read found no folder for <paramref name="items"/>: someone deleted it by hand.
    /// The items are no longer known; a round that is locking goes back to stage 1 and creates them (and the results
    /// of its earlier reads are then ignored). A round still creating folders needs nothing more: its lock creates,
    /// sent later, meet the folder missing again if it is, and come back here then.
    /// </summary>
    public static void OnFoldersMissing(DecisionBuilder decision, IEnumerable<string> items)
    {
        var gone = items.ToImmutableArray();
        decision.Evolve(s => s.FoldersFoundMissing(decision.Edit, gone));
        if (decision.Phase is RoundPhase { Round: { Lost: false, Stage: LockingStage } round })
        {
            EnsureFolders(decision, round, gone);
        }
    }

    /// <summary>A party change during acquisition: delete this member's lock nodes and wait again, at once.</summary>
    public static void Abort(DecisionBuilder decision)
    {
        LedgerDecisions.DeleteAllOwnNodes(decision);
        LedgerDecisions.Sweep(decision);
        StabilityWait.Begin(decision);
    }

    /// <summary>
    /// Sends the creates of <paramref name="missing"/>'s folders and adds their batches. An item with no lock node of
    /// this member, known or possible, gets its lock node in the same multi, right after its folder: if the multi
    /// applies, that node is the folder's first and the lock is held without a read.
    /// </summary>
    private static ImmutableSortedDictionary<long, ImmutableArray<string>> SendFolderCreates(
        DecisionBuilder decision, ImmutableSortedDictionary<long, ImmutableArray<string>> batches, ImmutableArray<string> missing)
    {
        var ledger = decision.Ledger;
        // With no node known or possible (a member's first round), every item gets its lock node: the items are used
        // as they are, not filtered into a copy.
        bool noneHeld = ledger.Nodes.IsEmpty && ledger.Uncertain.IsEmpty;
        var withLock = noneHeld ? missing : missing.Where(item => !ledger.OwnNodes.ContainsKey(item) && !ledger.Uncertain.Contains(item)).ToImmutableArray();
        foreach (var batch in Batches.OfItems(decision.Config, withLock, Math.Max(1, decision.Config.BatchSize / 2)))
        {
            long id = decision.NewId();
            batches = batches.Add(id, batch);
            LedgerDecisions.CreateFoldersWithLockNodes(decision, id, batch);
        }

        var withoutLock = noneHeld ? [] : missing.Where(item => ledger.OwnNodes.ContainsKey(item) || ledger.Uncertain.Contains(item));
        foreach (var batch in Batches.OfItems(decision.Config, withoutLock, decision.Config.BatchSize))
        {
            long id = decision.NewId();
            var ops = batch.Select(item => (WriteOp)new CreateOp(Folder(decision, item), [], NodeKind.Persistent, decision.Config.Acl.Folder));
            decision.Emit(new Multi(id, [.. ops]));
            batches = batches.Add(id, batch);
        }

        return batches;
    }

    private static void OnError(DecisionBuilder decision, Round round, string operation, string path, ZooKeeperError error)
    {
        if (error == ZooKeeperError.ConnectionLoss)
        {
            Retries.MarkLost(decision, round);
        }
        else
        {
            Failures.Unexpected(decision, operation, path, error);
        }
    }

    private static void ContinueCreatingFolders(DecisionBuilder decision, Round round, CreatingFolders creating)
    {
        if (creating.Batches.IsEmpty)
        {
            Locking.Begin(decision, round, creating.Held);
        }
        else
        {
            decision.SetPhase(new RoundPhase(round.At(creating)));
        }
    }

    private static void RememberFolders(DecisionBuilder decision, IEnumerable<string> items) =>
        decision.Evolve(s => s.FoldersSeen(decision.Edit, items));

    private static string Folder(DecisionBuilder decision, string item) => ZnodePaths.LockFolder(decision.Config.Path, item);
}
