using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Partitioner.Core;

/// <summary>
/// Stages 3 to 5 of a round: the lock recipe of kazoo's <c>Lock</c>, for every item of the share at once.
/// </summary>
/// <remarks>
/// kazoo locks one item at a time (3-4 round trips each) and, while waiting, deletes and re-creates its
/// node every <c>max_reaction_time</c>, going to the back of the queue each time. Here every lock node of
/// the share is created in multi batches, every folder is read in multiRead batches right behind them (in
/// the same pipeline), and only an item whose node is not the lowest sends one more request: an exists
/// watch on its immediate predecessor. A waiter keeps its node and its place in the queue until the
/// predecessor goes or the party changes.
/// </remarks>
internal static class Locking
{
    public static void Begin(DecisionBuilder decision, Round round) => Begin(decision, round, ImmutableStack<ImmutableArray<string>>.Empty);

    /// <summary>Stage 3: creates and reads for the share; <paramref name="held"/> items (first in a new folder) need neither.</summary>
    public static void Begin(DecisionBuilder decision, Round round, ImmutableStack<ImmutableArray<string>> held)
    {
        var config = decision.Config;
        var share = round.Share;
        // An uncertain item (a create lost with the connection) is read first: its node may exist already.
        var uncertain = decision.Ledger.Uncertain;
        var toCreate = ImmutableArray.CreateBuilder<string>();
        using (var walk = new NodeWalk(decision.Ledger.Nodes))
        {
            foreach (string item in share)
            {
                if (!walk.TryGet(item, out _) && (uncertain.IsEmpty || !uncertain.Contains(item)))
                {
                    toCreate.Add(item);
                }
            }
        }

        foreach (var batch in Batches.OfItems(config, toCreate, config.BatchSize))
        {
            LedgerDecisions.CreateLockNodes(decision, batch);
        }

        var locking = LockingStage.Start(decision.Edit, share.Length, tracksFresh: config.Rebalance == RebalanceMode.Cooperative);
        var isHeld = new bool[share.Length];
        foreach (var batch in held)
        {
            var positions = round.Positions();
            foreach (string item in batch)
            {
                if (positions.Find(item) is var index and >= 0)
                {
                    isHeld[index] = true;
                }
            }
        }

        var progress = locking.Items;
        var needing = locking.NeedingTokens;
        var fresh = locking.Fresh;
        int heldCount = 0;
        using var nodes = new NodeWalk(decision.Ledger.Nodes);
        for (int index = 0; index < share.Length; index++)
        {
            if (!isHeld[index])
            {
                continue;
            }

            if (nodes.TryGet(share[index], out var node) && node.HasToken)
            {
                progress = progress.SetItem(decision.Edit, index, HeldItem.Instance);
                heldCount++;
                fresh = fresh?.Add(decision.Edit, index);
            }
            else
            {
                progress = progress.SetItem(decision.Edit, index, NeedingTokenItem.Instance);
                needing = needing.Add(decision.Edit, index);
            }
        }

        locking = locking with { Items = progress, HeldCount = heldCount, NeedingTokens = needing, Fresh = fresh };

        var toRead = Enumerable.Range(0, share.Length).Where(index => !isHeld[index]);
        foreach (var batch in Batches.Of(toRead, config.BatchSize, Batches.ItemCost<int>(config, index => share[index])))
        {
            long id = decision.NewId();
            locking = locking.ReadSent(decision.Edit, id, batch);
            decision.Emit(new MultiGetChildren(id, [.. batch.Select(index => Folder(decision, share[index]))]));
        }

        Continue(decision, round, locking);
    }

    /// <summary>
    /// A multiRead of folders came back: judge each item it read. Returns the items whose folders the read found
    /// missing, every one of the batch (no item is judged then: the round goes back to stage 1 for them), or none.
    /// </summary>
    /// <remarks>
    /// All of them at once: a member that presumes its share's folders exist (see <see cref="Allocation.EnsureFolders"/>)
    /// may meet many missing, for instance the share of members that stopped before their first round. Returning the
    /// first alone made one round trip, and one re-read of the whole share, per missing folder (CLI soak seed 1356, a
    /// mixed party: 500 of them, 30 s).
    /// </remarks>
    public static ImmutableArray<string> OnReads(DecisionBuilder decision, Round round, LockingStage locking, MultiReadCompleted result)
    {
        var items = locking.Reads[result.OpId];
        if (result.Error != ZooKeeperError.Ok)
        {
            OnReadError(decision, round, "multi read", Folder(decision, round.Share[items[0]]), result.Error);
            return [];
        }

        if (MissingFolders(round, locking, items, result) is { IsEmpty: false } gone)
        {
            return gone;
        }

        locking = locking.ReadAnswered(result.OpId);
        for (int i = 0; i < items.Length && !decision.IsFailed; i++)
        {
            var read = i < result.Results.Length
                ? result.Results[i]
                : new ChildrenResult(ZooKeeperError.BadArguments, []);
            // A missing folder was returned above, with every other of the batch: what can end the loop here is a
            // failure or a lost round.
            locking = OnRead(decision, round, locking, items[i], result.OpId, read, out _);
            if (decision.Phase is not RoundPhase { Round: { Lost: false, Stage: LockingStage } })
            {
                return [];
            }
        }

        Continue(decision, round, locking);
        return [];
    }

    /// <summary>The items of a batch, still read by it, whose folders it found missing, in share order.</summary>
    private static ImmutableArray<string> MissingFolders(Round round, LockingStage locking, ImmutableArray<int> items, MultiReadCompleted result)
    {
        ImmutableArray<string>.Builder? missing = null;
        for (int i = 0; i < items.Length && i < result.Results.Length; i++)
        {
            if (result.Results[i].Error == ZooKeeperError.NoNode && locking.Items[items[i]] is ReadingItem reading && reading.OpId == result.OpId)
            {
                (missing ??= ImmutableArray.CreateBuilder<string>()).Add(round.Share[items[i]]);
            }
        }

        return missing?.ToImmutable() ?? [];
    }

    /// <summary>A single re-read of one folder came back. Returns its item when the folder is missing, or null.</summary>
    public static string? OnReread(DecisionBuilder decision, Round round, LockingStage locking, ChildrenCompleted result)
    {
        int item = locking.Reads[result.OpId][0];
        locking = OnRead(decision, round, locking.ReadAnswered(result.OpId), item, result.OpId, new ChildrenResult(result.Error, result.Children), out string? missing);
        if (missing is null && decision.Phase is RoundPhase { Round: { Lost: false, Stage: LockingStage } })
        {
            Continue(decision, round, locking);
        }

        return missing;
    }

    public static void OnExists(DecisionBuilder decision, Round round, LockingStage locking, ExistsCompleted result)
    {
        int item = locking.Watches[result.OpId];
        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                break;
            case ZooKeeperError.NoNode:
                // The predecessor went before the watch was set: read the queue again.
                locking = Reread(decision, round, locking.WatchEnded(result.OpId), item);
                Continue(decision, round, locking);
                break;
            default:
                var predecessor = (WatchingItem)locking.Items[item];
                OnReadError(decision, round, "exists", Folder(decision, round.Share[item]) + "/" + predecessor.Predecessor, result.Error);
                break;
        }
    }

    /// <summary>The predecessor's watch fired (deleted, or the connection dropped it): read the queue again.</summary>
    public static void OnWatch(DecisionBuilder decision, Round round, LockingStage locking, WatchFired fired)
    {
        if (locking.Watches.TryGetValue(fired.OpId, out int item))
        {
            locking = Reread(decision, round, locking.WatchEnded(fired.OpId), item);
            Continue(decision, round, locking);
        }
    }

    /// <summary>Judges one folder read; <paramref name="missing"/> is its item when the folder is gone.</summary>
    private static LockingStage OnRead(DecisionBuilder decision, Round round, LockingStage locking, int index, long opId, ChildrenResult read, out string? missing)
    {
        missing = null;
        if (locking.Items[index] is not ReadingItem reading || reading.OpId != opId)
        {
            return locking;
        }

        string item = round.Share[index];
        if (read.Error == ZooKeeperError.NoNode)
        {
            missing = item;
            return locking;
        }

        if (read.Error != ZooKeeperError.Ok)
        {
            OnReadError(decision, round, "get children", Folder(decision, item), read.Error);
            return locking;
        }

        return Judge(decision, round, locking, index, read.Children);
    }

    /// <summary>
    /// Finds this member's node among the folder's children and decides: held when no contender has a lower
    /// sequence, otherwise watch the immediate predecessor. With no node of its own (a create lost to
    /// ConnectionLoss that did not apply), it creates one and reads again.
    /// </summary>
    private static LockingStage Judge(DecisionBuilder decision, Round round, LockingStage locking, int index, ImmutableArray<string> children)
    {
        string item = round.Share[index];
        string? own = LedgerDecisions.ResolveOwnNode(decision, item, children);
        if (own is null)
        {
            LedgerDecisions.CreateLockNodes(decision, [item]);
            return Reread(decision, round, locking, index);
        }

        string ownSequence = LockNode.SequenceOf(own)!;
        string? predecessor = null;
        string? predecessorSequence = null;
        foreach (string child in children)
        {
            if (LockNode.SequenceOf(child) is { } sequence
                && string.CompareOrdinal(sequence, ownSequence) < 0
                && (predecessorSequence is null || string.CompareOrdinal(sequence, predecessorSequence) > 0))
            {
                (predecessor, predecessorSequence) = (child, sequence);
            }
        }

        if (predecessor is null)
        {
            return HeldOrNeedsToken(decision, round, decision.Ledger.Tokens, locking, index);
        }

        long id = decision.NewId();
        decision.Emit(new Exists(id, Folder(decision, item) + "/" + predecessor, Watch: true));
        return locking.WatchSent(decision.Edit, index, id, predecessor);
    }

    /// <summary>
    /// The stats of this member's lowest nodes came back: each creation zxid becomes the item's fencing token and
    /// the lock counts as held. A node gone meanwhile (deleted by hand) is forgotten and the folder read again.
    /// </summary>
    public static void OnTokens(DecisionBuilder decision, Round round, LockingStage locking, StatsCompleted result)
    {
        var indices = locking.TokenReads[result.OpId];
        if (result.Error != ZooKeeperError.Ok)
        {
            OnReadError(decision, round, "multi read", OwnNodePath(decision, round.Share[indices[0]]), result.Error);
            return;
        }

        locking = locking.TokenReadAnswered(result.OpId);
        // The tokens read and the locks held are recorded together, after the loop: one ledger change and one stage
        // change for the batch, not one per item.
        var read = ImmutableArray.CreateBuilder<(string Item, long CreatedZxid)>(indices.Length);
        var held = new List<int>(indices.Length);
        for (int i = 0; i < indices.Length && !decision.IsFailed; i++)
        {
            int index = indices[i];
            string item = round.Share[index];
            if (locking.Items[index] is not ReadingTokenItem reading || reading.OpId != result.OpId)
            {
                continue;
            }

            var stat = i < result.Results.Length ? result.Results[i] : new StatResult(ZooKeeperError.BadArguments, 0);
            switch (stat.Error)
            {
                case ZooKeeperError.Ok:
                    read.Add((item, stat.CreatedZxid));
                    held.Add(index);
                    break;
                case ZooKeeperError.NoNode:
                    decision.SetLedger(decision.Ledger.Resolved(decision.Edit, item, null));
                    locking = Reread(decision, round, locking, index);
                    break;
                case ZooKeeperError.ConnectionLoss:
                    // One read of the batch did not get through (a transient code inside the multiRead): the round
                    // is read again on the retry, as after a lost connection. The tokens read before it are kept.
                    decision.SetLedger(decision.Ledger.TokensRead(decision.Edit, read));
                    Retries.MarkLost(decision, round);
                    return;
                default:
                    Failures.Unexpected(decision, "get data", OwnNodePath(decision, item), stat.Error);
                    break;
            }
        }

        decision.SetLedger(decision.Ledger.TokensRead(decision.Edit, read));
        locking = locking.HeldAll(decision.Edit, held);
        if (!decision.IsFailed)
        {
            Continue(decision, round, locking);
        }
    }

    /// <summary>An item whose node is the lowest is held once its fencing token is known; until then its stat is read.</summary>
    private static LockingStage HeldOrNeedsToken(DecisionBuilder decision, Round round, OwnNodeTokens tokens, LockingStage locking, int index) =>
        tokens.ContainsKey(round.Share[index]) ? locking.Held(decision.Edit, index) : locking.NeedsToken(decision.Edit, index);

    /// <summary>Reads, in multiRead batches in share order, the stats of the lowest nodes whose creation zxid is unknown.</summary>
    private static LockingStage RequestTokens(DecisionBuilder decision, Round round, LockingStage locking)
    {
        if (locking.NeedingTokens.IsEmpty)
        {
            return locking;
        }

        var needing = locking.NeedingTokens.AsSpan().ToArray();
        Array.Sort(needing, Comparer<int>.Default);
        var share = round.Share;
        // In share order, so the ledger's nodes are walked alongside rather than searched for each item.
        using var nodes = new NodeWalk(decision.Ledger.Nodes);
        foreach (var batch in Batches.Of(needing, decision.Config.BatchSize, Batches.ItemCost<int>(decision.Config, index => share[index])))
        {
            long id = decision.NewId();
            var paths = new string[batch.Length];
            for (int i = 0; i < paths.Length; i++)
            {
                string item = share[batch[i]];
                paths[i] = nodes.TryGet(item, out var node)
                    ? node.PathIn(decision.Config.Path, item)
                    : throw new InvalidOperationException($"The item {ZnodeNameRules.Quote(item)} needs a token but has no lock node.");
            }

            decision.Emit(new MultiGetStat(id, ImmutableCollectionsMarshal.AsImmutableArray(paths)));
            locking = locking.TokenReadSent(decision.Edit, id, batch, IndexList.Empty);
        }

        return locking;
    }

    private static string OwnNodePath(DecisionBuilder decision, string item) =>
        decision.Ledger.Nodes[item].PathIn(decision.Config.Path, item);

    private static LockingStage Reread(DecisionBuilder decision, Round round, LockingStage locking, int index)
    {
        long id = decision.NewId();
        decision.Emit(new GetChildren(id, Folder(decision, round.Share[index]), Watch: false));
        return locking.ReadSent(decision.Edit, id, [index]);
    }

    private static void OnReadError(DecisionBuilder decision, Round round, string operation, string path, ZooKeeperError error)
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

    /// <summary>Stage 5: every item held and the party unchanged (else the round was aborted) means Acquired.</summary>
    private static void Continue(DecisionBuilder decision, Round round, LockingStage locking)
    {
        locking = RequestTokens(decision, round, locking);
        if (decision.Config.Rebalance == RebalanceMode.Cooperative)
        {
            // The member is Acquired already and claims each item as it is held, not the share at the end.
            CooperativeClaims.OnLockingProgress(decision, round, locking);
            return;
        }

        if (locking.HeldCount < round.Share.Length)
        {
            decision.SetPhase(new RoundPhase(round.At(locking)));
            return;
        }

        var owned = ImmutableArray.CreateBuilder<OwnedItem>(round.Share.Length);
        using (var nodes = new NodeWalk(decision.Ledger.Nodes))
        {
            foreach (string item in round.Share)
            {
                owned.Add(nodes.TryGet(item, out var node) && node.HasToken
                    ? new OwnedItem(item, node.Token)
                    : throw new InvalidOperationException($"The item {ZnodeNameRules.Quote(item)} is held with no fencing token known."));
            }
        }

        decision.Evolve(s => s.AcquiredOnce().RetryBackoffReset());
        decision.SetPhase(new HoldingPhase(round.PartyWatchOpId));
        decision.MoveTo(PartitionState.Acquired, owned.MoveToImmutable(), round.Share);
    }

    private static string Folder(DecisionBuilder decision, string item) => ZnodePaths.LockFolder(decision.Config.Path, item);
}
