namespace Partitioner.Core;

/// <summary>
/// Session changes, as kazoo's session listener treats them: suspended or reconnected means Release
/// (unless already Release or Failure); expired means Failure, the locks having gone with the session.
/// </summary>
internal static class SessionDecisions
{
    public static void OnSuspended(DecisionBuilder decision)
    {
        decision.Evolve(s => s.SessionSuspended());
        UserRequests.DropWaitOfRelease(decision);
        EnterRelease(decision);
    }

    public static void OnReconnected(DecisionBuilder decision)
    {
        decision.Evolve(s => s.SessionReconnected().RetryBackoffReset());
        UserRequests.DropWaitOfRelease(decision);
        EnterRelease(decision);
    }

    /// <summary>
    /// Moves to Release. Locks of an acquired share are kept until the user releases (as kazoo does: the user
    /// may still be working on them). Locks of an allocation in progress are deleted at once instead of kept:
    /// the user never had them, and keeping them would only block other members.
    /// </summary>
    public static void EnterRelease(DecisionBuilder decision)
    {
        if (decision.State.PartitionState == PartitionState.Release)
        {
            return;
        }

        if (decision.Config.Rebalance == RebalanceMode.Cooperative && decision.State.PartitionState == PartitionState.Acquired)
        {
            // Acquired covers the wait and the round in cooperative mode, where claimed items' work still runs.
            CooperativeHandOff.EnterRelease(decision);
            return;
        }

        switch (decision.Phase)
        {
            case HoldingPhase:
                decision.SetPhase(new AwaitingReleasePhase());
                break;
            case WaitingPhase:
            case RoundPhase:
                StabilityWait.Cancel(decision);
                decision.SetPhase(new AwaitingReleasePhase());
                LedgerDecisions.DeleteAllOwnNodes(decision);
                LedgerDecisions.Sweep(decision);
                break;
        }

        decision.MoveTo(PartitionState.Release, []);
    }
}
