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
    public static ImmutableArray<SetupStep> Plan(PartitionerConfig config)
    {
        var persistent = ZnodePaths.AncestorsOf(config.Path)
            .Append(config.Path)
            .Append(ZnodePaths.Locks(config.Path))
            .Append(ZnodePaths.Party(config.Path))
            .Select(path => new SetupStep(path, NodeKind.Persistent, OpId: null, Done: false));
        return [.. persistent, new SetupStep(config.PartyNodePath, NodeKind.Ephemeral, OpId: null, Done: false)];
    }

    /// <summary>Sends, in order, every create that is neither done nor in flight.</summary>
    public static void SendLost(Step step)
    {
        var setup = step.State.Setup.ToBuilder();
        for (int i = 0; i < setup.Count; i++)
        {
            if (setup[i].Lost)
            {
                long id = step.NewId();
                var data = setup[i].Kind == NodeKind.Ephemeral ? Batches.IdentifierData(step.Config) : [];
                step.Emit(new CreateNode(id, setup[i].Path, data, setup[i].Kind, AclOf(step.Config, setup[i])));
                setup[i] = setup[i].Sent(id);
            }
        }

        step.Update(s => s with { Setup = setup.ToImmutable() });
    }

    /// <summary>True while a setup create waits to be sent again: a request sent behind it may have met no parent.</summary>
    public static bool HasLost(MemberState state) => state.Setup.Any(step => step.Lost);

    /// <summary>Joins the party again: this member's node was missing from the party snapshot.</summary>
    public static void Rejoin(Step step)
    {
        var setup = step.State.Setup;
        int party = setup.Length - 1;
        if (setup[party].OpId is null)
        {
            step.Update(s => s with { Setup = setup.SetItem(party, setup[party].Dropped()) });
            SendLost(step);
        }
    }

    /// <summary>Handles the result of a setup create; false when the op is not one.</summary>
    public static bool TryHandle(Step step, CreateCompleted result)
    {
        int index = IndexOfOp(step.State.Setup, result.OpId);
        if (index < 0)
        {
            return false;
        }

        var created = step.State.Setup[index];
        switch (result.Error)
        {
            case ZooKeeperError.Ok or ZooKeeperError.NodeExists:
            // The server checks the parent's ACL before it checks for an existing node, so NoAuth on a
            // persistent node says nothing about whether it exists (like ensure_path under a locked-down
            // parent). If it does not, the next create under it fails with NoNode, which is fatal.
            case ZooKeeperError.NoAuth when created.Kind == NodeKind.Persistent:
                Replace(step, index, created.Completed());
                break;
            case ZooKeeperError.ConnectionLoss:
            // A parent's create came back with a transient code (ThrottledOp: not run) while the connection stayed
            // up, so this one, sent right behind it, met no parent: it goes again after the parent, in order.
            case ZooKeeperError.NoNode when step.State.Setup.Take(index).Any(earlier => earlier.Lost):
                Replace(step, index, created.Dropped());
                Retries.Schedule(step);
                break;
            default:
                Failures.Unexpected(step, "create", created.Path, result.Error);
                break;
        }

        return true;
    }

    /// <summary>The party node is a member's node; <c>P/party</c> holds members' nodes; the rest only hold folders.</summary>
    private static ImmutableArray<AclEntry> AclOf(PartitionerConfig config, SetupStep setupStep) =>
        setupStep.Kind == NodeKind.Ephemeral ? config.Acl.Node
        : setupStep.Path == ZnodePaths.Party(config.Path) ? config.Acl.Folder
        : config.Acl.Container;

    private static int IndexOfOp(ImmutableArray<SetupStep> setup, long opId)
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

    private static void Replace(Step step, int index, SetupStep replacement) =>
        step.Update(s => s with { Setup = s.Setup.SetItem(index, replacement) });
}
