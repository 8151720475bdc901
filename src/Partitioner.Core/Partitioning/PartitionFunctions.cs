using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>Partition functions every member of a party can agree on.</summary>
public static class PartitionFunctions
{
    /// <summary>
    /// kazoo's default: sort the items and the members by code point, find this member's index
    /// <c>i</c> among <c>n</c> members, and take every n-th item from the i-th: <c>items[i::n]</c>.
    /// Members <c>0,1</c> with items <c>0,1,2</c> get <c>[0,2]</c> and <c>[1]</c>.
    /// </summary>
    /// <remarks>
    /// It sorts its inputs itself, so the result does not depend on their order. Like kazoo's, it moves
    /// most items when a member joins or leaves: it balances, it is not sticky.
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="identifier"/> is not one of <paramref name="members"/>.</exception>
    public static ImmutableArray<string> RoundRobin(string identifier, ImmutableArray<string> members, ImmutableArray<string> items)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var workers = members.Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToImmutableArray();
        int index = workers.IndexOf(identifier, StringComparer.Ordinal);
        if (index < 0)
        {
            throw new ArgumentException(
                $"The member {ZnodeNameRules.Quote(identifier)} is not among the {workers.Length} members given.", nameof(identifier));
        }

        // Core hands the items over sorted (the config keeps them so); sorting again would cost O(n log n) per round.
        var sorted = CodePointComparer.IsStrictlyAscending(items.AsSpan()) ? items : items.Order(CodePointComparer.Instance).ToImmutableArray();
        var share = ImmutableArray.CreateBuilder<string>();
        for (int i = index; i < sorted.Length; i += workers.Length)
        {
            share.Add(sorted[i]);
        }

        return share.ToImmutable();
    }
}
