using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>A new state and the commands it asks for.</summary>
public readonly record struct Decision(MemberState State, ImmutableArray<Command> Commands);

/// <summary>The pure decision function: <c>Decide(state, event) -> (state, commands)</c>.</summary>
/// <remarks>
/// <para>It ports kazoo's <c>SetPartitioner</c> (with <c>ShallowParty</c>, <c>PatientChildrenWatch</c> and
/// <c>Lock</c>) to one function over immutable state, with the same states, transitions and znode layout.
/// Where kazoo is weak it does better:</para>
/// <list type="bullet">
/// <item>All lock requests of an allocation go out at once in multi and multiRead batches, not one item at a
/// time: thousands of items cost a handful of round trips.</item>
/// <item>A waiter keeps its node and its place in the queue, watching only its immediate predecessor, instead
/// of deleting and re-creating its node every <c>max_reaction_time</c>.</item>
/// <item>A party change during acquisition aborts at once: it is an event, not something found by polling.</item>
/// <item>After a connection loss, a create whose outcome is unknown is resolved by finding this member's
/// prefix among the folder's children, so no lock node is leaked.</item>
/// <item>A result that means the work cannot go on (NoAuth, a bad partition function...) leads to Failure
/// with the reason in <see cref="MemberState.FailureReason"/>, never to a hang.</item>
/// <item>Two members with one identifier do not both stall: see <see cref="PartyMembership"/>.</item>
/// </list>
/// <para>How it is built: the state records in <c>State/</c> carry their evolve methods (each records one
/// fact and returns the new state, with no command); the deciders in <c>Deciding/</c>, one per concern
/// (setup, stability wait, allocation, locking, lock ledger, session, user requests, failure), choose the
/// commands and call those methods. A <see cref="DecisionBuilder"/> gathers both within one call.</para>
/// <para>Every result, watch and timer carries the id of the command that asked for it. One that Core no
/// longer expects (a duplicate, or one for abandoned work) changes nothing, except that a lock node it
/// created is still deleted.</para>
/// </remarks>
public static class Decider
{
    /// <summary>
    /// The initial state of a member (Allocating, state id 0) and its first commands: the creates of
    /// <c>P</c>'s ancestors, <c>P</c>, <c>P/locks</c>, <c>P/party</c> and the party node, then the first party read.
    /// </summary>
    public static Decision Start(PartitionerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var decision = new DecisionBuilder(MemberState.Initial(config, SetupDecisions.Plan(config)));
        SetupDecisions.SendLost(decision);
        StabilityWait.Begin(decision);
        return decision.ToDecision();
    }

    /// <summary>Hands one event to the member; returns its new state and the commands to run.</summary>
    public static Decision Decide(MemberState state, Event @event)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(@event);
        if (@event is OperationCompleted result)
        {
            @event = Transients.AsConnectionLoss(result);
        }

        if (state.PartitionState == PartitionState.Failure)
        {
            // Terminal, but lock nodes may still exist: a create in flight at the failure may have applied, or one
            // lost with the connection. They would block their items for as long as the session lives (a shared
            // client outlives the member), so they are found and deleted.
            return FailureCleanup.Decide(state, @event);
        }

        var decision = new DecisionBuilder(state);
        Dispatch(decision, @event);
        UserRequests.CompleteReleaseIfSettled(decision);
        return decision.ToDecision();
    }

    private static void Dispatch(DecisionBuilder decision, Event @event)
    {
        switch (@event)
        {
            case OperationCompleted result:
                OnResult(decision, result);
                break;
            case WatchFired fired:
                OnWatch(decision, fired);
                break;
            case TimerFired timer:
                OnTimer(decision, timer);
                break;
            case SessionSuspended:
                SessionDecisions.OnSuspended(decision);
                break;
            case SessionReconnected:
                SessionDecisions.OnReconnected(decision);
                Resume(decision);
                break;
            case SessionExpired:
                Failures.Expire(decision);
                break;
            case SessionAuthFailed:
                Failures.AuthFailed(decision);
                break;
            case ReleaseRequested:
                UserRequests.OnReleaseRequested(decision);
                break;
            case FinishRequested:
                Failures.Finish(decision);
                break;
            case ItemWorkStopped stopped:
                CooperativeHandOff.OnWorkStopped(decision, stopped);
                break;
        }
    }

    private static void OnResult(DecisionBuilder decision, OperationCompleted result)
    {
        if (result is CreateCompleted create && SetupDecisions.TryHandle(decision, create))
        {
            return;
        }

        var outcome = LedgerDecisions.TryHandle(decision, result);
        if (!ReferenceEquals(outcome, LedgerOutcome.NotLedgers))
        {
            OnLedgerOutcome(decision, outcome);
            return;
        }

        switch (decision.Phase, result)
        {
            case (WaitingPhase wait, ChildrenCompleted children):
                StabilityWait.TryHandle(decision, wait, children);
                break;
            case (WaitingPhase wait, DataCompleted declarations):
                DeclarationCheck.OnRead(decision, wait, declarations);
                break;
            case (RoundPhase { Round: { Lost: false } round }, _):
                OnRoundResult(decision, round, result);
                break;
        }
    }

    /// <summary>What the ledger found goes to the round (folders missing or created) or to Failure.</summary>
    private static void OnLedgerOutcome(DecisionBuilder decision, LedgerOutcome outcome)
    {
        switch (outcome)
        {
            case LedgerOutcome.FoldersMissing missing:
                Allocation.OnFoldersMissing(decision, missing.Items);
                break;
            case LedgerOutcome.FoldersCreated created:
                Allocation.OnFoldersWithLockNodes(decision, created.Result, created.Kept);
                break;
            case LedgerOutcome.Unexpected failed:
                Failures.Unexpected(decision, failed.Operation, failed.Path, failed.Error);
                break;
        }
    }

    private static void OnRoundResult(DecisionBuilder decision, Round round, OperationCompleted result)
    {
        switch (round.Stage, result)
        {
            case (CreatingFolders creating, MultiCompleted multi) when creating.Batches.ContainsKey(multi.OpId):
                Allocation.OnFolderMulti(decision, round, creating, multi);
                break;
            case (CreatingFolders creating, MultiReadCompleted probe) when creating.Batches.ContainsKey(probe.OpId):
                Allocation.OnFolderProbe(decision, round, creating, probe);
                break;
            case (LockingStage locking, MultiReadCompleted reads) when locking.Reads.ContainsKey(reads.OpId):
                if (Locking.OnReads(decision, round, locking, reads) is { IsEmpty: false } missing)
                {
                    Allocation.OnFoldersMissing(decision, missing);
                }

                break;
            case (LockingStage locking, ChildrenCompleted reread) when locking.Reads.ContainsKey(reread.OpId):
                if (Locking.OnReread(decision, round, locking, reread) is { } gone)
                {
                    Allocation.OnFoldersMissing(decision, [gone]);
                }

                break;
            case (LockingStage locking, StatsCompleted stats) when locking.TokenReads.ContainsKey(stats.OpId):
                Locking.OnTokens(decision, round, locking, stats);
                break;
            case (LockingStage locking, ExistsCompleted exists) when locking.Watches.ContainsKey(exists.OpId):
                Locking.OnExists(decision, round, locking, exists);
                break;
        }
    }

    private static void OnWatch(DecisionBuilder decision, WatchFired fired)
    {
        switch (decision.Phase)
        {
            case WaitingPhase wait:
                StabilityWait.OnWatch(decision, wait, fired);
                break;
            case RoundPhase { Round: var round } when fired.OpId == round.PartyWatchOpId:
                if (IsCooperative(decision))
                {
                    CooperativeHandOff.OnPartyChanged(decision);
                }
                else
                {
                    Allocation.Abort(decision);
                }

                break;
            case RoundPhase { Round: { Lost: false, Stage: LockingStage locking } round }:
                Locking.OnWatch(decision, round, locking, fired);
                break;
            case HoldingPhase holding when fired.OpId == holding.PartyWatchOpId:
                if (IsCooperative(decision))
                {
                    CooperativeHandOff.OnPartyChanged(decision);
                }
                else
                {
                    Holding.OnPartyChanged(decision);
                }

                break;
        }
    }

    private static void OnTimer(DecisionBuilder decision, TimerFired timer)
    {
        if (timer.TimerId == decision.State.RetryTimerId)
        {
            if (Retries.OnTimer(decision))
            {
                Resume(decision);
            }
        }
        else if (decision.Phase is WaitingPhase wait && StabilityWait.OnTimer(decision, wait, timer) is { } party)
        {
            if (IsCooperative(decision))
            {
                DeclarationCheck.Begin(decision, wait, party);
            }
            else
            {
                Allocation.StartRound(decision, party, wait.ReadOpId);
            }
        }
    }

    private static bool IsCooperative(DecisionBuilder decision) => decision.Config.Rebalance == RebalanceMode.Cooperative;

    /// <summary>Sends again, in dependency order, everything that was lost: setup, deletes, sweeps, the phase's own work.</summary>
    private static void Resume(DecisionBuilder decision)
    {
        SetupDecisions.SendLost(decision);
        LedgerDecisions.Resume(decision);
        StabilityWait.Resume(decision);
        Allocation.Resume(decision);
    }
}
