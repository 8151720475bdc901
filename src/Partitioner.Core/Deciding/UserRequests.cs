namespace Partitioner.Core;

/// <summary>The user's release and finish requests.</summary>
internal static class UserRequests
{
    /// <summary>
    /// Release: delete every lock node of this member; once all deletes are done (Ok or NoNode) and no create
    /// is pending or uncertain, go to Allocating. From Acquired the state moves to Release at once, so that
    /// the items stop counting as owned before their locks go. The next stability wait (its party read and
    /// timer) starts in the same decision as the deletes, so that it overlaps them; a round starts only when
    /// both the wait and the release are done.
    /// </summary>
    public static void OnReleaseRequested(DecisionBuilder decision)
    {
        if (IsReleasing(decision))
        {
            return;
        }

        if (decision.State.PartitionState == PartitionState.Acquired)
        {
            decision.MoveTo(PartitionState.Release, []);
        }

        if (!ReferenceEquals(decision.State.HandOff, HandOff.None))
        {
            // Cooperative mode: the release deletes the nodes of revoked items too, and their stops are moot.
            decision.Evolve(s => s.WithHandOff(HandOff.None));
        }

        LedgerDecisions.DeleteAllOwnNodes(decision);
        StabilityWait.BeginReleasing(decision);
        LedgerDecisions.Sweep(decision);
    }

    /// <summary>
    /// The connection was lost during a release: the party read may be stale, so the release goes on without a
    /// wait and a new wait begins once the deletes are done (they are sent again on reconnect).
    /// </summary>
    public static void DropWaitOfRelease(DecisionBuilder decision)
    {
        if (decision.Phase is WaitingPhase { Releasing: true })
        {
            StabilityWait.Cancel(decision);
            decision.SetPhase(new ReleasingPhase());
        }
    }

    /// <summary>Ends a release whose deletes are all done: Allocating, then the round if the wait is over too.</summary>
    public static void CompleteReleaseIfSettled(DecisionBuilder decision)
    {
        if (!IsReleasing(decision) || !decision.Ledger.IsSettled)
        {
            return;
        }

        decision.MoveTo(PartitionState.Allocating, []);
        if (decision.Phase is WaitingPhase wait)
        {
            var released = wait.Released();
            decision.SetPhase(released);
            if (wait is { Due: true, Children: { } children })
            {
                if (decision.Config.Rebalance == RebalanceMode.Cooperative)
                {
                    DeclarationCheck.Begin(decision, released, children);
                }
                else
                {
                    Allocation.StartRound(decision, children, wait.ReadOpId);
                }
            }
        }
        else
        {
            StabilityWait.Begin(decision);
        }
    }

    private static bool IsReleasing(DecisionBuilder decision) => decision.Phase is ReleasingPhase or WaitingPhase { Releasing: true };
}
