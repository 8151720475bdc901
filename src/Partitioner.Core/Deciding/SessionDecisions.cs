namespace Partitioner.Core;

/// <summary>
/// Session changes, as kazoo's session listener treats them: suspended or reconnected means Release
/// (unless already Release or Failure); expired means Failure, the locks having gone with the session.
/// </summary>
internal static class SessionDecisions
{
    public static void OnSuspended(Step step)
    {
        step.Update(s => s with { Suspended = true });
        UserRequests.DropWaitOfRelease(step);
        EnterRelease(step);
    }

    public static void OnReconnected(Step step)
    {
        step.Update(s => s with { Suspended = false, RetryBackoff = 0 });
        UserRequests.DropWaitOfRelease(step);
        EnterRelease(step);
        Retries.Resume(step);
    }

    /// <summary>
    /// Moves to Release. Locks of an acquired share are kept until the user releases (as kazoo does: the user
    /// may still be working on them). Locks of an allocation in progress are deleted at once instead of kept:
    /// the user never had them, and keeping them would only block other members.
    /// </summary>
    public static void EnterRelease(Step step)
    {
        if (step.State.PartitionState == PartitionState.Release)
        {
            return;
        }

        switch (step.Phase)
        {
            case HoldingPhase:
                step.SetPhase(new AwaitingReleasePhase());
                break;
            case WaitingPhase:
            case RoundPhase:
                StabilityWait.Cancel(step);
                step.SetPhase(new AwaitingReleasePhase());
                LedgerDecisions.DeleteAllOwnNodes(step);
                LedgerDecisions.Sweep(step);
                break;
        }

        step.SetState(PartitionState.Release, []);
    }
}
