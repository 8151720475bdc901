namespace Partitioner.Core;

/// <summary>
/// Work lost to ConnectionLoss (or to any transient code, see <see cref="Transients"/>) is sent again when the
/// connection is back (SessionReconnected) or, when no suspension was reported, on one retry timer. The timer
/// backs off: it waits <see cref="PartitionerConfig.MaxReactionTime"/> first, and twice as long after each retry
/// that did not get the member to Acquired, up to <see cref="DelayDoublingsMax"/> doublings (8 times
/// MaxReactionTime, 8 s by default), so a throttling server is not answered with a steady stream of retries. A
/// reconnect or an acquisition starts the delay over.
/// </summary>
internal static class Retries
{
    /// <summary>How many times the retry delay may double.</summary>
    public const int DelayDoublingsMax = 3;

    /// <summary>Starts the retry timer unless one is running or the session is suspended (the reconnect resumes).</summary>
    public static void Schedule(DecisionBuilder decision)
    {
        if (decision.State.RetryTimerId is null && !decision.State.Suspended && !decision.IsFailed)
        {
            long id = decision.NewId();
            decision.Emit(new StartTimer(id, Delay(decision.Config, decision.State.RetryBackoff)));
            decision.Update(s => s with { RetryTimerId = id });
        }
    }

    /// <summary>The wait before a retry after <paramref name="retries"/> retries in a row.</summary>
    public static TimeSpan Delay(PartitionerConfig config, int retries) =>
        config.MaxReactionTime * (1 << Math.Min(retries, DelayDoublingsMax));

    public static void OnTimer(DecisionBuilder decision)
    {
        decision.Update(s => s with { RetryTimerId = null, RetryBackoff = Math.Min(s.RetryBackoff + 1, DelayDoublingsMax) });
        if (!decision.State.Suspended)
        {
            Resume(decision);
        }
    }
    /// <summary>Sends again, in dependency order, everything that was lost: setup, deletes, sweeps, the phase's own work.</summary>
    public static void Resume(DecisionBuilder decision)
    {
        SetupDecisions.SendLost(decision);
        LedgerDecisions.Resume(decision);
        StabilityWait.Resume(decision);
        Allocation.Resume(decision);
    }
}
