using System.Collections.Immutable;
using System.Runtime.InteropServices;

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
        var (workers, index) = Members(identifier, members);

        // Core hands the items over sorted (the config keeps them so); sorting again would cost O(n log n) per round.
        var sorted = CodePointComparer.IsStrictlyAscending(items.AsSpan()) ? items : items.Order(CodePointComparer.Instance).ToImmutableArray();
        // Sized exactly, filled and handed over without a copy: a share of 100,000 items made through a growing
        // builder cost three arrays of it in garbage.
        int length = index < sorted.Length ? ((sorted.Length - index - 1) / workers.Length) + 1 : 0;
        var share = new string[length];
        for (int i = index, at = 0; i < sorted.Length; i += workers.Length, at++)
        {
            share[at] = sorted[i];
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(share);
    }

    /// <summary>
    /// A sticky, balanced assignment for parties whose members are all this library: when a member joins or leaves,
    /// few items change owner, and every share is within one item of <c>N/n</c>. Not kazoo's function: a party with
    /// kazoo members must keep <see cref="RoundRobin"/>, and every member of a party must use the same function.
    /// </summary>
    /// <remarks>
    /// <para>Every (item, member) pair gets a weight, a stable 64-bit hash of both names (the same in every process and
    /// release). Each member may take <c>floor(N/n)</c> items, and the first <c>N mod n</c> members to fill up one
    /// more; the pairs are visited in descending weight, and a pair whose item is free and whose member has room is
    /// matched. That is rendezvous (highest-random-weight) hashing with exact capacities: an item stays with its
    /// member unless a newcomer outbids it, its member left, or the capacities make the old members trade a few
    /// items to even out. Measured (<c>Partitioner.Benchmarks assignment</c>; the README, "Cooperative rebalancing: the
    /// assignment"), a join or a leave moves the ideal (<c>N/(n+1)</c>, or the leaver's share) plus at most about
    /// <c>√N</c> items: 1.02 times the ideal for 10 members and 100,000 items, 1.25 for 100 members, where kazoo's
    /// function moves nearly every item.</para>
    /// <para>The result depends only on the sets of members and items, not on their order or the culture. It costs one
    /// hash per pair, <c>N·n</c>, and is computed from the party alone: no member reads another's locks.</para>
    /// </remarks>
    /// <exception cref="ArgumentException"><paramref name="identifier"/> is not one of <paramref name="members"/>.</exception>
    public static ImmutableArray<string> Sticky(string identifier, ImmutableArray<string> members, ImmutableArray<string> items)
    {
        var (workers, index) = Members(identifier, members);

        var sorted = CodePointComparer.IsStrictlyAscending(items.AsSpan())
            ? items
            : items.Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToImmutableArray();
        var owners = StickyAssignment.Owners(workers, sorted);
        var share = ImmutableArray.CreateBuilder<string>();
        for (int i = 0; i < sorted.Length; i++)
        {
            if (owners[i] == index)
            {
                share.Add(sorted[i]);
            }
        }

        return share.ToImmutable();
    }

    /// <summary>The members, distinct and in code-point order, and <paramref name="identifier"/>'s index among them.</summary>
    private static (ImmutableArray<string> Workers, int Index) Members(string identifier, ImmutableArray<string> members)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        var workers = members.Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToImmutableArray();
        int index = workers.IndexOf(identifier, StringComparer.Ordinal);
        if (index < 0)
        {
            throw new ArgumentException(
                $"The member {ZnodeNameRules.Quote(identifier)} is not among the {workers.Length} members given.", nameof(identifier));
        }

        return (workers, index);
    }
}
