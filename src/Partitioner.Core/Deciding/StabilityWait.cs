using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The stability wait, kazoo's <c>PatientChildrenWatch</c>: read <c>P/party</c> with a watch and start a timer
/// of <see cref="PartitionerConfig.TimeBoundary"/>. If the watch fires first, re-read with a new watch and
/// restart the timer; when the timer fires with no change, allocate with the last read's members.
/// </summary>
/// <remarks>kazoo samples again after a fixed sleep; here any change restarts the full wait.</remarks>
internal static class StabilityWait
{
    /// <summary>
    /// Starts (or restarts) the wait: cancels a running stability timer and reads the party. A restart of a
    /// wait that began with a release still waits for that release.
    /// </summary>
    public static void Begin(DecisionBuilder decision) => Begin(decision, releasing: decision.Phase is WaitingPhase { Releasing: true });

    /// <summary>
    /// Starts the wait while this member's release deletes are in flight, so that the party read and the
    /// time boundary overlap them; the member allocates only once they are done (see <see cref="UserRequests"/>).
    /// </summary>
    public static void BeginReleasing(DecisionBuilder decision) => Begin(decision, releasing: true);

    private static void Begin(DecisionBuilder decision, bool releasing)
    {
        if (decision.Phase is WaitingPhase { TimerId: { } timer })
        {
            decision.Emit(new CancelTimer(timer));
        }

        long id = decision.NewId();
        decision.Emit(new GetChildren(id, ZnodePaths.Party(decision.Config.Path), Watch: true));
        decision.SetPhase(WaitingPhase.Reading(id, releasing));
    }

    public static bool TryHandle(DecisionBuilder decision, WaitingPhase wait, ChildrenCompleted result)
    {
        if (result.OpId != wait.ReadOpId || wait.Children is not null || wait.ReadLost)
        {
            return false;
        }

        switch (result.Error)
        {
            case ZooKeeperError.Ok:
                long timer = decision.NewId();
                decision.Emit(new StartTimer(timer, decision.Config.TimeBoundary));
                decision.SetPhase(wait.Read(result.Children, timer));
                break;
            case ZooKeeperError.ConnectionLoss:
            // P/party's create came back with a transient code (ThrottledOp: not run) on a connection that stayed
            // up, so the read sent behind it found no P/party: read again once the create has gone again.
            case ZooKeeperError.NoNode when SetupDecisions.HasLost(decision.State):
                decision.SetPhase(wait.Lost());
                Retries.Schedule(decision);
                break;
            default:
                Failures.Unexpected(decision, "get children", ZnodePaths.Party(decision.Config.Path), result.Error);
                break;
        }

        return true;
    }

    /// <summary>The party changed during the wait: start it again.</summary>
    public static void OnWatch(DecisionBuilder decision, WaitingPhase wait, WatchFired fired)
    {
        if (fired.OpId == wait.ReadOpId && !wait.ReadLost)
        {
            Begin(decision);
        }
    }

    /// <summary>
    /// The party stayed unchanged for the whole time boundary: returns its children, for the round to start from; null
    /// when the timer is not this wait's, or when the release is not done yet (the round starts once it is).
    /// </summary>
    public static ImmutableArray<string>? OnTimer(DecisionBuilder decision, WaitingPhase wait, TimerFired fired)
    {
        if (fired.TimerId != wait.TimerId || wait.Children is not { } children)
        {
            return null;
        }

        if (wait.Releasing)
        {
            decision.SetPhase(wait.TimedOutWhileReleasing());
            return null;
        }

        return children;
    }

    /// <summary>After a retry timer: read the party again if the last read was lost.</summary>
    public static void Resume(DecisionBuilder decision)
    {
        if (decision.Phase is WaitingPhase { ReadLost: true })
        {
            Begin(decision);
        }
    }

    /// <summary>Leaves the wait for another phase: its timer is no longer wanted.</summary>
    public static void Cancel(DecisionBuilder decision)
    {
        if (decision.Phase is WaitingPhase { TimerId: { } timer })
        {
            decision.Emit(new CancelTimer(timer));
        }
    }
}
