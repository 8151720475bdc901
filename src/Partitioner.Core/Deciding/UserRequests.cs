namespace Partitioner.Core;

/// <summary>The user's release and finish requests.</summary>
internal static class UserRequests
{
    /// <summary>
    /// Release: delete every lock node of this member; once all deletes are done (Ok or NoNode) and no create
    /// is pending or uncertain, go to Allocating and wait for a stable party again. From Acquired the state
    /// moves to Release at once, so that the items stop counting as owned before their locks go.
    /// </summary>
    public static void OnReleaseRequested(Step step)
    {
        if (step.Phase is ReleasingPhase)
        {
            return;
        }

        if (step.State.State == PartitionState.Acquired)
        {
            step.SetState(PartitionState.Release, []);
        }

        StabilityWait.Cancel(step);
        step.SetPhase(new ReleasingPhase());
        LedgerDecisions.DeleteAllOwnNodes(step);
        LedgerDecisions.Sweep(step);
    }

    /// <summary>Ends a release whose deletes are all done: Allocating, and a new stability wait.</summary>
    public static void CompleteReleaseIfSettled(Step step)
    {
        if (step.Phase is ReleasingPhase && step.Ledger.IsSettled)
        {
            step.SetState(PartitionState.Allocating, []);
            StabilityWait.Begin(step);
        }
    }
}
