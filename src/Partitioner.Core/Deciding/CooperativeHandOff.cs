using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Cooperative mode (<see cref="RebalanceMode.Cooperative"/>): a party change moves only the items whose owner changes.
/// </summary>
/// <remarks>
/// <para>The member is Acquired from the end of its first stability wait until a session change or a release, and its
/// <see cref="MemberState.OwnedItems"/> change inside that state, item by item:</para>
/// <list type="number">
/// <item>A party change while Acquired (holding, or taking arriving items) starts the stability wait and stops nothing:
/// every claimed item keeps its lock node, its token and its work. Lock nodes of arriving items not yet held are deleted,
/// as an eager round's are on an abort: the next share may not want them, and a node that became lowest unwatched would
/// hold an item no one works on.</item>
/// <item>When the wait ends, the member computes its share with the party's partition function (<see cref="Shares"/>).
/// A claimed item outside it is revoked: it leaves the claims at once, a <see cref="StopItemWork"/> asks the shell to
/// stop its work, and its lock node is deleted only when the shell answers <see cref="ItemWorkStopped"/>, so its next
/// owner cannot take it while this member still works on it. A slow consumer delays only the items it gives up.</item>
/// <item>The items of the share not claimed and not being revoked arrive: a round (<see cref="Allocation"/>, then
/// <see cref="Locking"/>) takes only them, and <see cref="CooperativeClaims"/> claims each the moment this member's node
/// is the lowest in its folder and its creation zxid, the item's new token, is known.</item>
/// <item>An item whose work returns while the last computed share wants it again (the party changed back) is claimed
/// again with the node it never gave up, and its token.</item>
/// </list>
/// <para>What is claimed is therefore always an item whose lowest lock node this member holds on its session: the
/// single-owner rule is the lock's, as in eager mode. A connection loss ends every claim as in eager mode (Release); the
/// nodes of claimed and revoked items stay until the user releases, the others go at once.</para>
/// </remarks>
internal static class CooperativeHandOff
{
    /// <summary>
    /// The stability wait ended with <paramref name="partyChildren"/>: compute the share, revoke the items leaving it,
    /// and start the round that takes the items arriving. The member is Acquired from here, with the items that stay.
    /// </summary>
    public static void StartRound(DecisionBuilder decision, ImmutableArray<string> partyChildren, long partyWatchOpId)
    {
        if (!partyChildren.Contains(decision.Config.PartyNodeName, StringComparer.Ordinal))
        {
            // As in eager mode: this member's party node is gone; join again, and the party change restarts the wait.
            SetupDecisions.Rejoin(decision);
            StabilityWait.Begin(decision);
            return;
        }

        if (Shares.Compute(decision, partyChildren) is not { } target)
        {
            return;
        }

        var handOff = decision.State.HandOff.Targeting(target);
        var staying = ImmutableArray.CreateBuilder<OwnedItem>();
        foreach (var owned in decision.State.OwnedItems)
        {
            if (handOff.Wants(owned.Name))
            {
                staying.Add(owned);
            }
            else
            {
                long id = decision.NewId();
                decision.Emit(new StopItemWork(id, owned.Name));
                handOff = handOff.StopSent(id, owned.Name);
            }
        }

        var claimed = staying.ToImmutable();
        var arriving = target.Where(item => !IsClaimed(claimed, item) && !handOff.IsRevoking(item)).ToImmutableArray();
        decision.Evolve(s => s.WithHandOff(handOff));
        decision.MoveTo(PartitionState.Acquired, claimed);
        var round = new Round(partyWatchOpId, arriving, CreatingFolders.Empty, Lost: false);
        decision.SetPhase(new RoundPhase(round));
        DeleteUnclaimed(decision, round);
        LedgerDecisions.Sweep(decision);
        Allocation.EnsureFolders(decision, round, []);
    }

    /// <summary>
    /// The party changed while Acquired (holding, or during a round): wait for it to be stable again. Nothing claimed
    /// stops; the nodes of arriving items not yet held go.
    /// </summary>
    public static void OnPartyChanged(DecisionBuilder decision)
    {
        StabilityWait.Begin(decision);
        DeleteUnclaimed(decision, round: null);
        LedgerDecisions.Sweep(decision);
    }

    /// <summary>
    /// The work of a revoked item returned: its node goes, unless the last computed share wants the item again and the
    /// member is Acquired, when it is claimed again with the same node and token. A stop Core no longer expects
    /// (answered already, or one from before a release) changes nothing.
    /// </summary>
    public static void OnWorkStopped(DecisionBuilder decision, ItemWorkStopped stopped)
    {
        var handOff = decision.State.HandOff;
        if (!handOff.Stops.TryGetValue(stopped.OpId, out string? item))
        {
            return;
        }

        decision.Evolve(s => s.WithHandOff(handOff.Stopped(stopped.OpId)));
        bool known = decision.Ledger.Nodes.TryGetValue(item, out var node);
        if (known && node.HasToken && handOff.Wants(item) && decision.State.PartitionState == PartitionState.Acquired)
        {
            CooperativeClaims.ClaimAgain(decision, item, node.Token);
            return;
        }

        if (known)
        {
            decision.SetLedger(decision.Ledger.Forgot(decision.Edit, [item]));
            LedgerDecisions.DeletePaths(decision, [node.PathIn(decision.Config.Path, item)]);
        }
    }

    /// <summary>
    /// The connection was lost while Acquired: every claim ends (Release), as in eager mode. The nodes of claimed items
    /// stay until the user releases (their work may still run), and so do those of revoked items until their work
    /// returns; the nodes of arriving items not yet held go at once, as an eager round's do.
    /// </summary>
    public static void EnterRelease(DecisionBuilder decision)
    {
        StabilityWait.Cancel(decision);
        DeleteUnclaimed(decision, round: null);
        decision.SetPhase(new AwaitingReleasePhase());
        LedgerDecisions.Sweep(decision);
        decision.MoveTo(PartitionState.Release, []);
    }

    /// <summary>
    /// Deletes this member's lock nodes of items that are neither claimed, nor being revoked, nor wanted by
    /// <paramref name="round"/>: arriving items a party change abandoned, or nodes left from an earlier round.
    /// </summary>
    private static void DeleteUnclaimed(DecisionBuilder decision, Round? round)
    {
        var owned = decision.State.OwnedItems;
        var handOff = decision.State.HandOff;
        var unwanted = decision.Ledger.Nodes
            .Where(node => !IsClaimed(owned, node.Key) && !handOff.IsRevoking(node.Key) && round?.Wants(node.Key) != true)
            .ToImmutableArray();
        if (unwanted.IsEmpty)
        {
            return;
        }

        decision.SetLedger(decision.Ledger.Forgot(decision.Edit, unwanted.Select(node => node.Key)));
        LedgerDecisions.DeletePaths(decision, [.. unwanted.Select(node => node.Value.PathIn(decision.Config.Path, node.Key))]);
    }

    /// <summary>True when <paramref name="item"/> is in <paramref name="owned"/> (in code-point order of names).</summary>
    private static bool IsClaimed(ImmutableArray<OwnedItem> owned, string item)
    {
        int low = 0;
        int high = owned.Length - 1;
        while (low <= high)
        {
            int middle = low + ((high - low) / 2);
            int order = CodePointComparer.Instance.Compare(owned[middle].Name, item);
            if (order == 0)
            {
                return true;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return false;
    }
}
