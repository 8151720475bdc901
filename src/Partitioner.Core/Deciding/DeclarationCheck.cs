using System.Collections.Immutable;
using System.Text;

namespace Partitioner.Core;

/// <summary>
/// Cooperative mode: after each stability wait, and before anything is taken or revoked, the member reads every other
/// party node's data and compares the declarations there (<see cref="PartyDeclaration"/>) with its own. A member that
/// declares another mode, another partition function or another item set, or that declares nothing (an eager member
/// of this library, or a kazoo member), would compute other shares than this member's and stall the party (kazoo
/// issue #392): this member ends in Failure instead, with a reason that names that member and what differs. Leaving
/// the party, it lets the others go on.
/// </summary>
/// <remarks>
/// <para>Cost: one multiRead of getData per <see cref="PartitionerConfig.BatchSize"/> other members per stability
/// wait, bounded by the party, never by the items; each batch is kept under <see cref="Batches.RequestBytesMax"/> and
/// its reply, which holds each node's data (an identifier and a line of about a hundred bytes), under the frame
/// limit. A party of one reads nothing.</para>
/// <para>Eager members do not read the party's data: an eager party is kazoo's protocol, request for request, and a
/// read before each round would add a round trip to every eager rebalance and change the simulator's eager traces.
/// The mismatch is still reported, by the cooperative side: a cooperative member that meets an eager one fails and
/// leaves, and the eager members rebalance without it.</para>
/// <para>A party node gone before its read (NoNode) is a party change: the party watch fires and the wait starts
/// again. A read lost with the connection restarts the wait on the retry, like a lost party read.</para>
/// </remarks>
internal static class DeclarationCheck
{
    /// <summary>
    /// What the data of one member's party node costs in a reply besides its path: the stat, and a declaration line
    /// with a function name of ordinary length.
    /// </summary>
    private const int DataBytesBesidesIdentifier = 256;

    /// <summary>
    /// The wait is over with <paramref name="children"/>: reads the other members' declarations, or starts the round at
    /// once when there are none to read (or when this member's node is missing, which the round answers by joining again).
    /// </summary>
    public static void Begin(DecisionBuilder decision, WaitingPhase wait, ImmutableArray<string> children)
    {
        string own = decision.Config.PartyNodeName;
        var others = children.Where(child => !string.Equals(child, own, StringComparison.Ordinal)).ToImmutableArray();
        if (others.IsEmpty || others.Length == children.Length)
        {
            // Nothing to compare, or this member's own node is missing: the round rejoins, and the join restarts the wait.
            CooperativeHandOff.StartRound(decision, children, wait.ReadOpId);
            return;
        }

        string party = ZnodePaths.Party(decision.Config.Path) + "/";
        var reads = ImmutableSortedDictionary.CreateBuilder<long, ImmutableArray<string>>();
        foreach (var batch in Batches.Of(others, decision.Config.BatchSize, name => (2 * Encoding.UTF8.GetByteCount(party + name)) + Batches.OpOverheadBytes + DataBytesBesidesIdentifier))
        {
            long id = decision.NewId();
            decision.Emit(new MultiGetData(id, [.. batch.Select(name => party + name)]));
            reads.Add(id, batch);
        }

        decision.SetPhase(wait.Checking(reads.ToImmutable()));
    }

    /// <summary>
    /// One batch of declarations came back: a difference fails the member; the last agreeing batch starts the round. A
    /// result the wait no longer expects (the party changed, or the read was lost) changes nothing.
    /// </summary>
    public static void OnRead(DecisionBuilder decision, WaitingPhase wait, DataCompleted result)
    {
        if (wait.ReadLost || wait.Checks is not { } checks || !checks.TryGetValue(result.OpId, out var names) || wait.Children is not { } children)
        {
            return;
        }

        switch (result.Error)
        {
            case ZooKeeperError.Ok when result.Results.Length == names.Length:
                break;
            case ZooKeeperError.Ok:
                Failures.Fail(decision, $"a read of {names.Length} party nodes' data came back with {result.Results.Length} results");
                return;
            case ZooKeeperError.ConnectionLoss:
                Lose(decision, wait);
                return;
            default:
                Failures.Unexpected(decision, "multi get data", ZnodePaths.Party(decision.Config.Path), result.Error);
                return;
        }

        var own = PartyDeclaration.Of(decision.Config);
        for (int i = 0; i < names.Length; i++)
        {
            if (!Agrees(decision, wait, own, names[i], result.Results[i]))
            {
                return;
            }
        }

        var rest = checks.Remove(result.OpId);
        if (!rest.IsEmpty)
        {
            decision.SetPhase(wait with { Checks = rest });
            return;
        }

        decision.SetPhase(wait with { Checks = null });
        CooperativeHandOff.StartRound(decision, children, wait.ReadOpId);
    }

    /// <summary>True when the member of <paramref name="name"/> agrees with this one (or has left); otherwise the member is failed or the wait lost.</summary>
    private static bool Agrees(DecisionBuilder decision, WaitingPhase wait, PartyDeclaration own, string name, DataResult read)
    {
        string identifier = PartyNode.IdentifierOf(name);
        switch (read.Error)
        {
            case ZooKeeperError.Ok:
                break;
            case ZooKeeperError.NoNode:
                // It left after the party read: the party watch fires, and the wait starts again.
                return true;
            case ZooKeeperError.ConnectionLoss:
                Lose(decision, wait);
                return false;
            default:
                Failures.Unexpected(decision, "get data", ZnodePaths.Party(decision.Config.Path) + "/" + name, read.Error);
                return false;
        }

        string? difference = PartyDeclarationFormat.Read(identifier, read.Data.AsSpan()) switch
        {
            DeclarationRead.None => $"declares nothing (an eager member of this library, or a kazoo member); this member is {PartyDeclaration.ModeName(own.Rebalance)}",
            DeclarationRead.Unreadable unreadable => $"has party node data this member cannot read as a declaration ({PartyDeclarationFormat.Format}): {unreadable.Why}",
            DeclarationRead.Declared declared => own.DifferencesFrom(declared.Declaration),
            _ => null,
        };
        if (difference is null)
        {
            return true;
        }

        Failures.Fail(decision, $"member {ZnodeNameRules.Quote(identifier)} of {decision.Config.Path} {difference}: the members of one path must agree on the rebalance mode, the partition function and the items");
        return false;
    }

    /// <summary>A read was lost with the connection: the wait starts again on the retry (or the reconnect).</summary>
    private static void Lose(DecisionBuilder decision, WaitingPhase wait)
    {
        decision.SetPhase(wait.Lost() with { Checks = null });
        Retries.Schedule(decision);
    }
}
