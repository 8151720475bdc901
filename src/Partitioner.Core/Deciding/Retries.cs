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
            decision.Evolve(s => s.RetryTimerStarted(id));
        }
    }

    /// <summary>The wait before a retry after <paramref name="retries"/> retries in a row.</summary>
    public static TimeSpan Delay(PartitionerConfig config, int retries) =>
        config.MaxReactionTime * (1 << Math.Min(retries, DelayDoublingsMax));

    /// <summary>
    /// The retry timer fired: the next delay doubles. True when the lost work is to be sent again now; false while
    /// suspended (the reconnect sends it).
    /// </summary>
    public static bool OnTimer(DecisionBuilder decision)
    {
        decision.Evolve(s => s.RetryTimerEnded().RetryBackedOff(DelayDoublingsMax));
        return !decision.State.Suspended;
    }

    /// <summary>
    /// A read or create of the round was lost with the connection. The round restarts from stage 1 on the
    /// retry (its results until then are ignored), keeping the lock nodes it knows of.
    /// </summary>
    public static void MarkLost(DecisionBuilder decision, Round round)
    {
        decision.SetPhase(new RoundPhase(round.MarkedLost()));
        Schedule(decision);
    }
}
