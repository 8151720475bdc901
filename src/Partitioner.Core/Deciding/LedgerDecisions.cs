using System.Collections.Immutable;
using System.Runtime.InteropServices;

namespace Partitioner.Core;

/// <summary>
/// Keeps the <see cref="LockLedger"/>: creates and deletes of lock nodes, and the rule that no lock node
/// is ever leaked. A lock node is kept only while the current round wants its item (or while the member
/// holds or is about to release its share); any other node of this member, including one whose create
/// result arrives after its round was abandoned, is deleted at once.
/// </summary>
/// <remarks>
/// After a ConnectionLoss the outcome of a create is unknown. The item is marked uncertain, and the next
/// read of its folder (by the round, or by a sweep when no round wants it) finds any node carrying this
/// member's prefix, to reuse or delete it. kazoo's cleanup of such nodes can itself fail and leak a
/// contender that blocks the lock for the session's life (kazoo #732).
/// </remarks>
internal static class LedgerDecisions
{
    /// <summary>Creates lock nodes for <paramref name="items"/> in one multi (ephemeral sequential, identifier as data).</summary>
    public static void CreateLockNodes(DecisionBuilder decision, ImmutableArray<string> items)
    {
        var config = decision.Config;
        var data = Batches.IdentifierData(config);
        long id = decision.NewId();
        var ops = items.Select(item =>
            (WriteOp)new CreateOp(ZnodePaths.LockNodeRequest(config.Path, item, config.ContenderPrefix), data, NodeKind.EphemeralSequential, config.Acl.Node));
        decision.Emit(new Multi(id, [.. ops]));
        decision.SetLedger(decision.Ledger.CreatesSent(id, items));
    }

    /// <summary>
    /// Creates, in one multi <paramref name="opId"/>, each item's folder and then this member's lock node in it.
    /// The result comes back here first (to keep or delete the nodes), then goes to the round.
    /// </summary>
    public static void CreateFoldersWithLockNodes(DecisionBuilder decision, long opId, ImmutableArray<string> items)
    {
        decision.Emit(new Multi(opId, FolderAndLockOps(decision, items)));
        decision.SetLedger(decision.Ledger.FirstCreatesSent(opId, items));
    }

    /// <summary>Deletes every lock node this member knows it has, in multi batches.</summary>
    public static void DeleteAllOwnNodes(DecisionBuilder decision)
    {
        var paths = decision.Ledger.Nodes.Select(node => node.Value.PathIn(decision.Config.Path, node.Key)).ToImmutableArray();
        decision.SetLedger(decision.Ledger.ForgotAll());
        DeletePaths(decision, paths);
    }

    /// <summary>Deletes the nodes of items the round does not want (left over from an earlier round).</summary>
    public static void DeleteUnwanted(DecisionBuilder decision, Round round)
    {
        var unwanted = decision.Ledger.Nodes.Where(node => !round.Wants(node.Key)).ToImmutableArray();
        decision.SetLedger(decision.Ledger.Forgot(decision.Edit, unwanted.Select(node => node.Key)));
        DeletePaths(decision, [.. unwanted.Select(node => node.Value.PathIn(decision.Config.Path, node.Key))]);
    }

    public static void DeletePaths(DecisionBuilder decision, ImmutableArray<string> paths)
    {
        // A path already being deleted gets no second delete: its first answer settles it (and a lost one is resent).
        var deleting = decision.Ledger.Deleting;
        if (!deleting.IsEmpty)
        {
            paths = paths.RemoveAll(deleting.ContainsKey);
        }

        foreach (var batch in Batches.OfPaths(paths, decision.Config.BatchSize))
        {
            long id = decision.NewId();
            decision.Emit(new Multi(id, [.. batch.Select(path => (WriteOp)new DeleteOp(path))]));
            decision.SetLedger(decision.Ledger.DeletesSent(decision.Edit, id, batch));
        }
    }

    /// <summary>Reads the folders of uncertain items that no round is about to read, to find lost creates.</summary>
    public static void Sweep(DecisionBuilder decision)
    {
        var ledger = decision.Ledger;
        var sweeping = ledger.Sweeps.Values.SelectMany(items => items).ToImmutableHashSet(StringComparer.Ordinal);
        var round = (decision.Phase as RoundPhase)?.Round;
        var items = ledger.Uncertain.Where(item => !sweeping.Contains(item) && round?.Wants(item) != true);
        foreach (var batch in Batches.OfItems(decision.Config, items, decision.Config.BatchSize))
        {
            long id = decision.NewId();
            decision.Emit(new MultiGetChildren(id, [.. batch.Select(item => ZnodePaths.LockFolder(decision.Config.Path, item))]));
            decision.SetLedger(decision.Ledger.SweepSent(id, batch));
        }
    }

    /// <summary>After a retry or a reconnect: send again the deletes lost with the connection, and sweep.</summary>
    public static void Resume(DecisionBuilder decision)
    {
        var lost = decision.Ledger.LostDeletes.ToImmutableArray();
        decision.SetLedger(decision.Ledger.LostDeletesResent());
        DeletePaths(decision, lost);
        Sweep(decision);
    }

    /// <summary>
    /// This member's node in a folder whose children were just read: the known one, or else the lowest node
    /// carrying its prefix (the outcome of a lost create), adopted. A node whose delete is in flight (sent after this
    /// read, which was answered first) or was lost (waiting for the retry timer to be sent again) is never adopted:
    /// that delete would remove a lock the member then holds.
    /// Any other node of this member there is deleted. Null when it has none. The read also settles an uncertain
    /// create of the item: every create whose result came before this read was applied before it, and none is
    /// pending after a lost one.
    /// </summary>
    public static string? ResolveOwnNode(DecisionBuilder decision, string item, ImmutableArray<string> children)
    {
        var ledger = decision.Ledger;
        var mine = children
            .Where(child => LockNode.IsOwnedBy(child, decision.Config.ContenderPrefix))
            .OrderBy(child => LockNode.SequenceOf(child), StringComparer.Ordinal)
            .ToImmutableArray();
        var adoptable = ledger.LostDeletes.IsEmpty && ledger.Deleting.IsEmpty ? mine : mine.RemoveAll(node => ledger.IsGoing(NodePath(decision, item, node)));
        string? own = ledger.Nodes.TryGetValue(item, out var known) && adoptable.FirstOrDefault(known.IsNamed) is { } same ? same : adoptable.FirstOrDefault();
        decision.SetLedger(ledger.Resolved(decision.Edit, item, own));
        DeletePaths(decision, [.. mine.Where(node => !string.Equals(node, own, StringComparison.Ordinal)).Select(node => NodePath(decision, item, node))]);
        return own;
    }

    /// <summary>
    /// Records the result of a lock create, a delete or a sweep, and returns what it came to for the decider to route:
    /// the ledger never calls back into the round or into Failure. <see cref="LedgerOutcome.NotLedgers"/> when the op
    /// is none of these.
    /// </summary>
    public static LedgerOutcome TryHandle(DecisionBuilder decision, OperationCompleted result)
    {
        var ledger = decision.Ledger;
        if (ledger.PendingCreates.TryGetValue(result.OpId, out var created))
        {
            decision.SetLedger(ledger.CreatesAnswered(result.OpId));
            return OnCreated(decision, created, result);
        }

        if (ledger.PendingDeletes.TryGetValue(result.OpId, out var deleted))
        {
            decision.SetLedger(ledger.DeletesAnswered(decision.Edit, result.OpId));
            return OnDeleted(decision, deleted, result);
        }

        if (ledger.PendingFirstCreates.TryGetValue(result.OpId, out var firsts) && result is MultiCompleted multi)
        {
            decision.SetLedger(ledger.FirstCreatesAnswered(result.OpId));
            return OnFirstCreated(decision, firsts, multi);
        }

        if (ledger.Sweeps.TryGetValue(result.OpId, out var swept) && result is MultiReadCompleted read)
        {
            decision.SetLedger(ledger.SweepAnswered(result.OpId));
            return OnSwept(decision, swept, read);
        }

        return LedgerOutcome.NotLedgers;
    }

    private static LedgerOutcome OnCreated(DecisionBuilder decision, ImmutableArray<string> items, OperationCompleted result)
    {
        var config = decision.Config;
        switch (result)
        {
            case MultiCompleted { Error: ZooKeeperError.Ok } multi:
                _ = KeepOrDelete(decision, items, multi.Results, first: 0, stride: 1);
                return LedgerOutcome.Recorded;
            case { Error: ZooKeeperError.ConnectionLoss }:
                decision.SetLedger(decision.Ledger.BecameUncertain(items));
                Retries.Schedule(decision);
                return LedgerOutcome.Recorded;
            case MultiCompleted { Error: ZooKeeperError.NoNode } multi:
                // A folder is gone and the whole multi failed: no node of these items was created. The ops before
                // the failing one would have applied, so their folders exist; the failing op's folder is missing,
                // and ZooKeeper says RuntimeInconsistency for every op after it. Of those, the folders this member
                // has seen stay presumed; the others (a peer's share whose folders the peer may never have made)
                // are created with the failing one, at once: presuming them present would find one missing folder
                // per round trip.
                int failedAt = 0;
                while (failedAt < items.Length && failedAt < multi.Results.Length && multi.Results[failedAt].Error == ZooKeeperError.Ok)
                {
                    failedAt++;
                }

                var known = decision.State.KnownFolders;
                var gone = failedAt < items.Length
                    ? items.Where((item, i) => i == failedAt || (i > failedAt && !known.Contains(config, item))).ToImmutableArray()
                    : items;
                return new LedgerOutcome.FoldersMissing(gone);
            case MultiCompleted multi:
                var (path, error) = FailingOp.In([.. items.Select(item => ZnodePaths.LockNodeRequest(config.Path, item, config.ContenderPrefix))], multi);
                return new LedgerOutcome.Unexpected("multi create", path, error);
            default:
                return new LedgerOutcome.Unexpected("create", ZnodePaths.LockNodeRequest(config.Path, items[0], config.ContenderPrefix), result.Error);
        }
    }

    /// <summary>
    /// The lock nodes of a folder-and-lock multi: kept or deleted when applied, uncertain when lost. The round learns
    /// which it kept (none unless applied).
    /// </summary>
    private static LedgerOutcome OnFirstCreated(DecisionBuilder decision, ImmutableArray<string> items, MultiCompleted result)
    {
        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                return new LedgerOutcome.FoldersCreated(result, KeepOrDelete(decision, items, result.Results, first: 1, stride: 2));
            case ZooKeeperError.NodeExists:
                // A folder of the batch exists: nothing applied; the round reads the batch's folders and creates the rest.
                return new LedgerOutcome.FoldersCreated(result, []);
            case ZooKeeperError.ConnectionLoss:
                decision.SetLedger(decision.Ledger.BecameUncertain(items));
                Retries.Schedule(decision);
                return new LedgerOutcome.FoldersCreated(result, []);
            default:
                var (path, error) = FailingOp.In([.. FolderAndLockOps(decision, items).Select(op => op.Path)], result);
                return new LedgerOutcome.Unexpected("multi create", path, error);
        }
    }

    private static ImmutableArray<WriteOp> FolderAndLockOps(DecisionBuilder decision, ImmutableArray<string> items)
    {
        var config = decision.Config;
        var data = Batches.IdentifierData(config);
        var ops = new WriteOp[2 * items.Length];
        for (int i = 0; i < items.Length; i++)
        {
            ops[2 * i] = new CreateOp(ZnodePaths.LockFolder(config.Path, items[i]), [], NodeKind.Persistent, config.Acl.Folder);
            ops[(2 * i) + 1] = new CreateOp(ZnodePaths.LockNodeRequest(config.Path, items[i], config.ContenderPrefix), data, NodeKind.EphemeralSequential, config.Acl.Node);
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(ops);
    }

    /// <summary>
    /// Lock creates applied: item i of <paramref name="items"/> has its create's result at <paramref name="first"/> +
    /// <paramref name="stride"/> * i of <paramref name="results"/> (a null path: not created). A node is kept when the
    /// current round wants the item and has no node for it yet; otherwise (its round was aborted or released meanwhile)
    /// it is deleted at once. The nodes kept are recorded in one ledger change; returns their items.
    /// </summary>
    /// <remarks>
    /// The results are read where they are and the nodes go straight into the ledger's map under the decision's edit:
    /// a batch whose every node is kept (a first allocation's) costs no list of its own, and its kept items are
    /// <paramref name="items"/> itself. With 100,000 items a copied result, a list entry and a kept entry each were a
    /// quarter of the result decisions' garbage.
    /// </remarks>
    private static ImmutableArray<string> KeepOrDelete(DecisionBuilder decision, ImmutableArray<string> items, ImmutableArray<WriteResult> results, int first, int stride)
    {
        int count = Math.Min(items.Length, Math.Max(0, (results.Length - first + stride - 1) / stride));
        var round = decision.Phase is RoundPhase { Round: var r } ? r : null;
        var positions = round is null ? default : round.Positions();
        var edit = decision.Edit;
        string prefix = decision.Config.ContenderPrefix;
        var nodes = decision.Ledger.Nodes;
        int lastAdopted = -1;
        HashSet<int>? adoptedOutOfOrder = null;
        // Null while every item so far was kept: the kept items are then items[0..i).
        ImmutableArray<string>.Builder? kept = null;
        List<string>? unwanted = null;
        for (int i = 0; i < count; i++)
        {
            var result = results[first + (stride * i)];
            if (result.CreatedPath is not { } createdPath)
            {
                kept ??= KeptSoFar(items, i);
                continue;
            }

            string item = items[i];
            int index = round is null ? -1 : positions.Find(item);
            // A batch names each item once, in share order; should one name an item twice, its second node finds the
            // first adopted (the set is only made for a batch out of order). The map holds this batch's nodes already,
            // so an item named twice is found there too, as it would be in the set.
            if (index >= 0 && !nodes.ContainsKey(item)
                && (index > lastAdopted || (adoptedOutOfOrder ??= AdoptedIndices(round!, kept, items, i)).Add(index)))
            {
                adoptedOutOfOrder?.Add(index);
                lastAdopted = Math.Max(lastAdopted, index);
                nodes = nodes.SetItem(edit, item, OwnNode.Created(createdPath, prefix, result.CreatedZxid));
                kept?.Add(item);
            }
            else
            {
                kept ??= KeptSoFar(items, i);
                (unwanted ??= []).Add(NodePath(decision, item, ZnodePaths.NameOf(createdPath)));
            }
        }

        decision.SetLedger(decision.Ledger.AdoptedAll(nodes));
        foreach (string path in unwanted ?? [])
        {
            DeletePaths(decision, [path]);
        }

        return kept is not null ? kept.ToImmutable() : count == items.Length ? items : items[..count];
    }

    /// <summary>The first <paramref name="count"/> items, every one of them kept, in a builder to add the next kept ones to.</summary>
    private static ImmutableArray<string>.Builder KeptSoFar(ImmutableArray<string> items, int count)
    {
        var kept = ImmutableArray.CreateBuilder<string>(items.Length);
        kept.AddRange(items.AsSpan(0, count));
        return kept;
    }

    /// <summary>The share indices of the items kept so far (<paramref name="kept"/>, or while null the first <paramref name="count"/> items).</summary>
    private static HashSet<int> AdoptedIndices(Round round, ImmutableArray<string>.Builder? kept, ImmutableArray<string> items, int count)
    {
        var indices = new HashSet<int>();
        IEnumerable<string> adopted = kept is null ? items.Take(count) : kept;
        foreach (string item in adopted)
        {
            indices.Add(round.IndexOf(item));
        }

        return indices;
    }

    private static LedgerOutcome OnDeleted(DecisionBuilder decision, ImmutableArray<string> paths, OperationCompleted result)
    {
        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                return LedgerOutcome.Recorded;
            case ZooKeeperError.NoNode when paths.Length > 1:
                // One node was already gone and the whole multi failed: delete each on its own.
                foreach (string single in paths)
                {
                    long id = decision.NewId();
                    decision.Emit(new DeleteNode(id, single));
                    decision.SetLedger(decision.Ledger.DeletesSent(decision.Edit, id, [single]));
                }

                return LedgerOutcome.Recorded;
            case ZooKeeperError.NoNode:
                return LedgerOutcome.Recorded;
            case ZooKeeperError.ConnectionLoss:
                decision.SetLedger(decision.Ledger.DeletesLost(paths));
                Retries.Schedule(decision);
                return LedgerOutcome.Recorded;
            default:
                var (failedPath, error) = result is MultiCompleted multi ? FailingOp.In(paths, multi) : (paths[0], result.Error);
                return new LedgerOutcome.Unexpected("delete", failedPath, error);
        }
    }

    private static LedgerOutcome OnSwept(DecisionBuilder decision, ImmutableArray<string> items, MultiReadCompleted result)
    {
        if (result.Error != ZooKeeperError.Ok)
        {
            return OnSweepError(decision, ZnodePaths.LockFolder(decision.Config.Path, items[0]), result.Error);
        }

        for (int i = 0; i < items.Length; i++)
        {
            var read = i < result.Results.Length ? result.Results[i] : new ChildrenResult(ZooKeeperError.BadArguments, []);
            if (OnSweptFolder(decision, items[i], read) is LedgerOutcome.Unexpected failed)
            {
                // The member fails on it: the folders after it are not judged.
                return failed;
            }
        }

        return LedgerOutcome.Recorded;
    }

    private static LedgerOutcome OnSweptFolder(DecisionBuilder decision, string item, ChildrenResult read)
    {
        switch (read.Error)
        {
            case ZooKeeperError.Ok:
                string? known = decision.Ledger.OwnNodes.GetValueOrDefault(item);
                var strays = read.Children
                    .Where(child => LockNode.IsOwnedBy(child, decision.Config.ContenderPrefix) && !string.Equals(child, known, StringComparison.Ordinal))
                    .Select(child => NodePath(decision, item, child));
                decision.SetLedger(decision.Ledger.Settled(item));
                DeletePaths(decision, [.. strays]);
                return LedgerOutcome.Recorded;
            case ZooKeeperError.NoNode:
                decision.SetLedger(decision.Ledger.Settled(item));
                return LedgerOutcome.Recorded;
            default:
                return OnSweepError(decision, ZnodePaths.LockFolder(decision.Config.Path, item), read.Error);
        }
    }

    private static LedgerOutcome OnSweepError(DecisionBuilder decision, string path, ZooKeeperError error)
    {
        if (error == ZooKeeperError.ConnectionLoss)
        {
            Retries.Schedule(decision);
            return LedgerOutcome.Recorded;
        }

        return new LedgerOutcome.Unexpected("get children", path, error);
    }

    public static string NodePath(DecisionBuilder decision, string item, string node) =>
        string.Concat([decision.Config.Path, "/locks/", item, "/", node]);
}
