using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.Tests.Support.Core;

/// <summary>Reading commands and znodes in assertions.</summary>
internal static class Inspect
{
    public static T Only<T>(this IEnumerable<Command> commands, Func<T, bool>? match = null)
        where T : Command =>
        commands.OfType<T>().Single(c => match?.Invoke(c) ?? true);

    /// <summary>The lock nodes of <paramref name="member"/> that exist now, as item/node.</summary>
    public static string[] LockNodesOf(this Cluster cluster, TestMember member)
    {
        string prefix = member.State.Config.ContenderPrefix;
        string locks = ZnodePaths.Locks(Configs.Root);
        if (!cluster.Zk.Exists(locks))
        {
            return [];
        }

        return [.. cluster.Zk.ChildrenOf(locks)
            .SelectMany(item => cluster.Zk.ChildrenOf(locks + "/" + item)
                .Where(node => node.StartsWith(prefix, StringComparison.Ordinal))
                .Select(node => item + "/" + node))
            .Order(StringComparer.Ordinal)];
    }

    /// <summary>The ZooKeeper commands the member sent from index <paramref name="from"/> of its command list on.</summary>
    public static ImmutableArray<ZooKeeperCommand> SentSince(this TestMember member, int from) =>
        [.. member.Commands.Skip(from).OfType<ZooKeeperCommand>()];
}
