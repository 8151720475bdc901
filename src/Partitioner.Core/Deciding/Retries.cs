namespace Partitioner.Core;

/// <summary>
/// Work lost to ConnectionLoss is sent again when the connection is back (SessionReconnected) or, when no
/// suspension was reported, after <see cref="PartitionerConfig.MaxReactionTime"/> on one retry timer.
/// </summary>
internal static class Retries
{
    /// <summary>Starts the retry timer unless one is running or the session is suspended (the reconnect resumes).</summary>
    public static void Schedule(Step step)
    {
        if (step.State.RetryTimerId is null && !step.State.Suspended && !step.IsFailed)
        {
            long id = step.NewId();
            step.Emit(new StartTimer(id, step.Config.MaxReactionTime));
            step.Update(s => s with { RetryTimerId = id });
        }
    }

    public static void OnTimer(Step step)
    {
        step.Update(s => s with { RetryTimerId = null });
        if (!step.State.Suspended)
        {
            Resume(step);
        }
    }

    /// <summary>Sends again, in dependency order, everything that was lost: setup, deletes, sweeps, the phase's own work.</summary>
    public static void Resume(Step step)
    {
        SetupDecisions.SendLost(step);
        LedgerDecisions.Resume(step);
        StabilityWait.Resume(step);
        Allocation.Resume(step);
    }
}
