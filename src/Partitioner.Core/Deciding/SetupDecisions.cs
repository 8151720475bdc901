using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The start, as kazoo's constructor does it: ensure <c>P</c>'s ancestors, <c>P</c>, <c>P/locks</c> and
/// <c>P/party</c>, then join the party with an ephemeral <c>P/party/&lt;prefix&gt;-&lt;identifier&gt;</c>.
/// All creates go out at once: ZooKeeper applies one session's requests in order, so a chain of creates
/// needs no round trip per level.
/// </summary>
internal static class SetupDecisions
{
    public static ImmutableArray<SetupCreate> Plan(PartitionerConfig config)
    {
        var persistent = ZnodePaths.AncestorsOf(config.Path)
            .Append(config.Path)
            .Append(ZnodePaths.Locks(config.Path))
            .Append(ZnodePaths.Party(config.Path))
            .Select(path => new SetupCreate(path, NodeKind.Persistent, OpId: null, Done: false));
        return [.. persistent, new SetupCreate(config.PartyNodePath, NodeKind.Ephemeral, OpId: null, Done: false)];
    }

    /// <summary>Sends, in order, every create that is neither done nor in flight.</summary>
    public static void SendLost(DecisionBuilder decision)
    {
        var setup = decision.State.Setup.ToBuilder();
        for (int i = 0; i < setup.Count; i++)
        {
            if (setup[i].Lost)
            {
                long id = decision.NewId();
                var data = setup[i].Kind == NodeKind.Ephemeral ? PartyDeclarationFormat.NodeData(decision.Config) : [];
                decision.Emit(new CreateNode(id, setup[i].Path, data, setup[i].Kind, AclOf(decision.Config, setup[i])));
                setup[i] = setup[i].Sent(id);
            }
        }

        decision.Evolve(s => s.WithSetup(setup.ToImmutable()));
    }

    /// <summary>True while a setup create waits to be sent again: a request sent behind it may have met no parent.</summary>
    public static bool HasLost(MemberState state) => state.Setup.Any(create => create.Lost);

    /// <summary>Joins the party again: this member's node was missing from the party snapshot.</summary>
    public static void Rejoin(DecisionBuilder decision)
    {
        var setup = decision.State.Setup;
        int party = setup.Length - 1;
        if (setup[party].OpId is null)
        {
            decision.Evolve(s => s.WithSetup(setup.SetItem(party, setup[party].Dropped())));
            SendLost(decision);
        }
    }

    /// <summary>Handles the result of a setup create; false when the op is not one.</summary>
    public static bool TryHandle(DecisionBuilder decision, CreateCompleted result)
    {
        int index = IndexOfOp(decision.State.Setup, result.OpId);
        if (index < 0)
        {
            return false;
        }

        var created = decision.State.Setup[index];
        switch (result.Error)
        {
            case ZooKeeperError.Ok or ZooKeeperError.NodeExists:
            // The server checks the parent's ACL before it checks for an existing node, so NoAuth on a
            // persistent node says nothing about whether it exists (like ensure_path under a locked-down
            // parent). If it does not, the next create under it fails with NoNode, which is fatal.
            case ZooKeeperError.NoAuth when created.Kind == NodeKind.Persistent:
                Replace(decision, index, created.Completed());
                break;
            case ZooKeeperError.ConnectionLoss:
            // A parent's create came back with a transient code (ThrottledOp: not run) while the connection stayed
            // up, so this one, sent right behind it, met no parent: it goes again after the parent, in order.
            case ZooKeeperError.NoNode when decision.State.Setup.Take(index).Any(earlier => earlier.Lost):
                Replace(decision, index, created.Dropped());
                Retries.Schedule(decision);
                break;
            default:
                Failures.Unexpected(decision, "create", created.Path, result.Error);
                break;
        }

        return true;
    }

    /// <summary>The party node is a member's node; <c>P/party</c> holds members' nodes; the rest only hold folders.</summary>
    private static ImmutableArray<AclEntry> AclOf(PartitionerConfig config, SetupCreate create) =>
        create.Kind == NodeKind.Ephemeral ? config.Acl.Node
        : create.Path == ZnodePaths.Party(config.Path) ? config.Acl.Folder
        : config.Acl.Container;

    private static int IndexOfOp(ImmutableArray<SetupCreate> setup, long opId)
    {
        for (int i = 0; i < setup.Length; i++)
        {
            if (setup[i].OpId == opId)
            {
                return i;
            }
        }

        return -1;
    }

    private static void Replace(DecisionBuilder decision, int index, SetupCreate replacement) =>
        decision.Evolve(s => s.WithSetup(s.Setup.SetItem(index, replacement)));
}
