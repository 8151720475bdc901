using System.Collections.Immutable;
using System.Globalization;

namespace Partitioner.Core;

/// <summary>
/// The ways into Failure. kazoo leaves the party on failure but keeps its locks; Core also deletes every
/// lock node it knows of (best effort: the results are ignored), so that a failed member does not block
/// others until its session ends, and goes on deleting in Failure until none may be left: a lock create still in
/// flight then, or one lost with the connection, is cleaned up too (see <see cref="FailureCleanup"/>).
/// </summary>
internal static class Failures
{
    /// <summary>A result means the work cannot go on: clean up what can be cleaned, then fail with the reason.</summary>
    public static void Fail(DecisionBuilder decision, string reason)
    {
        CancelTimers(decision);
        LedgerDecisions.DeleteAllOwnNodes(decision);
        FailureCleanup.Begin(decision);
        decision.Emit(new DeleteNode(decision.NewId(), decision.Config.PartyNodePath));
        decision.Terminate(reason);
    }

    /// <summary>The user finished: delete the lock nodes and the party node and end in Failure ("finished").</summary>
    public static void Finish(DecisionBuilder decision) => Fail(decision, "finished");

    /// <summary>The session is gone and its ephemeral nodes with it: nothing to delete.</summary>
    public static void Expire(DecisionBuilder decision)
    {
        CancelTimers(decision);
        decision.Evolve(s => s.LockNodesGoneWithSession());
        decision.Terminate("session expired");
    }

    /// <summary>The server refused the credentials and closed the session: nothing to delete, nothing to retry.</summary>
    public static void AuthFailed(DecisionBuilder decision)
    {
        CancelTimers(decision);
        decision.Evolve(s => s.LockNodesGoneWithSession());
        decision.Terminate("authentication failed: ZooKeeper refused this member's credentials (AuthFailed) and closed its session");
    }

    /// <summary>Handles a result code no stage expects: SessionExpired ends the member, anything else fails it.</summary>
    public static void Unexpected(DecisionBuilder decision, string operation, string path, ZooKeeperError error)
    {
        if (error == ZooKeeperError.SessionExpired)
        {
            Expire(decision);
        }
        else
        {
            Fail(decision, Describe(operation, path, error));
        }
    }

    public static string Describe(string operation, string path, ZooKeeperError error) =>
        string.Create(CultureInfo.InvariantCulture, $"{operation} {path} failed with {error} ({(int)error}){MissingPermission(operation, path, error)}");

    /// <summary>
    /// For NoAuth, which permission the session lacked and on which node: ZooKeeper checks a create or a delete
    /// against the parent's ACL, and a read against the node's own.
    /// </summary>
    private static string MissingPermission(string operation, string path, ZooKeeperError error)
    {
        if (error == ZooKeeperError.AuthFailed)
        {
            return ": ZooKeeper refused this member's credentials";
        }

        if (error == ZooKeeperError.MarshallingError)
        {
            return ": the reply was larger than the client's frame limit";
        }

        if (error != ZooKeeperError.NoAuth)
        {
            return "";
        }

        string parent = path.LastIndexOf('/') is > 0 and var slash ? path[..slash] : "/";
        return operation switch
        {
            "create" or "multi create" => $": this member's identities lack the Create permission on {parent}",
            "delete" => $": this member's identities lack the Delete permission on {parent}",
            _ => $": this member's identities lack the Read permission on {path}",
        };
    }

    private static void CancelTimers(DecisionBuilder decision)
    {
        if (decision.Phase is WaitingPhase { TimerId: { } timer })
        {
            decision.Emit(new CancelTimer(timer));
        }

        if (decision.State.RetryTimerId is { } retry)
        {
            decision.Emit(new CancelTimer(retry));
            decision.Evolve(s => s.RetryTimerEnded());
        }
    }
}
