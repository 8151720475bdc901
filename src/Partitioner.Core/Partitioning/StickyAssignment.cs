using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The sticky assignment behind <see cref="PartitionFunctions.Sticky"/>: rendezvous (highest-random-weight) hashing
/// made exactly balanced by giving every member a capacity and letting items and members meet in one global order.
/// </summary>
/// <remarks>
/// <para>Every (item, member) pair has a weight, a stable 64-bit hash of the two names. Without capacities each item
/// would go to the member of highest weight: a join then moves only the items the newcomer now wins, about
/// <c>N/(n+1)</c>, and a leave only the leaver's; but the shares differ by about the square root of <c>N/n</c>.</para>
/// <para>So every member may take <c>floor(N/n)</c> items, and the first <c>N mod n</c> members to fill up one more.
/// The pairs are then visited in descending weight (ties: lower item, then lower member, in code-point order); a pair
/// whose item is still free and whose member still has room is matched. An item refused by a full member tries its
/// next-best member at that member's weight, later in the same order. No item and member left apart both prefer each
/// other to what they got: the matching is stable, which is what keeps it close to plain rendezvous hashing from one
/// party to the next. The capacities add exactly one kind of move: when a newcomer takes a different number of items
/// from each old member, the old members trade a few items to even out, up to about the square root of <c>N</c>.</para>
/// <para>The cost is one weight per pair, <c>N·n</c> hashes, and a sort of the items by their best weight; only the
/// items a full member refuses (a few per cent) need their members ranked. Nothing here reads a clock, a random
/// source, <c>GetHashCode</c> or the culture: the hash is written out below and fixed forever, since
/// members of one party that hashed differently would contend for the same locks.</para>
/// </remarks>
internal static class StickyAssignment
{
    /// <summary>
    /// The owner of every item: the index into <paramref name="members"/> of the member that owns
    /// <c>items[i]</c>. Both arrays must be distinct and sorted by code point; <paramref name="members"/> not empty.
    /// </summary>
    public static int[] Owners(ImmutableArray<string> members, ImmutableArray<string> items)
    {
        int memberCount = members.Length;
        int itemCount = items.Length;
        var memberKeys = new ulong[memberCount];
        for (int m = 0; m < memberCount; m++)
        {
            memberKeys[m] = StableHash.MemberKey(members[m]);
        }

        var itemKeys = new ulong[itemCount];
        var firstChoice = new int[itemCount];
        var byBestWeight = new Candidate[itemCount];
        for (int i = 0; i < itemCount; i++)
        {
            itemKeys[i] = StableHash.Of(items[i]);
            (firstChoice[i], ulong weight) = Best(itemKeys[i], memberKeys);
            byBestWeight[i] = new Candidate(weight, i);
        }

        byBestWeight.AsSpan().Sort(CandidateOrder.Instance);
        return Match(memberKeys, itemKeys, firstChoice, byBestWeight);
    }

    /// <summary>
    /// Visits the candidates in descending weight: the items' first choices from <paramref name="byBestWeight"/>, merged
    /// with the next choices of refused items as they arise, and matches each whose member has room.
    /// </summary>
    private static int[] Match(ulong[] memberKeys, ulong[] itemKeys, int[] firstChoice, Candidate[] byBestWeight)
    {
        var owners = new int[itemKeys.Length];
        var capacity = new Capacity(itemKeys.Length, memberKeys.Length);
        var rankings = new int[itemKeys.Length][];
        var choice = new int[itemKeys.Length];
        var refused = new PriorityQueue<int, Candidate>(CandidateOrder.Instance);
        int next = 0;
        while (next < byBestWeight.Length || refused.Count > 0)
        {
            bool takeFirst = refused.Count == 0
                || (next < byBestWeight.Length && refused.TryPeek(out _, out var waiting) && CandidateOrder.Instance.Compare(byBestWeight[next], waiting) < 0);
            int item = takeFirst ? byBestWeight[next++].Item : refused.Dequeue();
            int member = choice[item] == 0 ? firstChoice[item] : rankings[item][choice[item]];
            if (capacity.TryTake(member))
            {
                owners[item] = member;
                continue;
            }

            rankings[item] ??= Ranking(itemKeys[item], memberKeys);
            choice[item]++;

            // Capacities sum to the item count, so an item refused by every member would mean every member is full
            // while this item is unmatched: more matches than items.
            if (choice[item] == memberKeys.Length)
            {
                throw new InvalidOperationException($"The sticky assignment found no member with room for item {item} of {itemKeys.Length}; the capacities are wrong.");
            }

            int nextMember = rankings[item][choice[item]];
            refused.Enqueue(item, new Candidate(StableHash.Weight(itemKeys[item], memberKeys[nextMember]), item));
        }

        return owners;
    }

    /// <summary>The member of highest weight for an item, and that weight; the lower member on a tie.</summary>
    private static (int Member, ulong Weight) Best(ulong itemKey, ulong[] memberKeys)
    {
        int best = 0;
        ulong bestWeight = StableHash.Weight(itemKey, memberKeys[0]);
        for (int m = 1; m < memberKeys.Length; m++)
        {
            ulong weight = StableHash.Weight(itemKey, memberKeys[m]);
            if (weight > bestWeight)
            {
                (best, bestWeight) = (m, weight);
            }
        }

        return (best, bestWeight);
    }

    /// <summary>Every member, by descending weight for this item, the lower member first on a tie (as <see cref="Best"/>).</summary>
    private static int[] Ranking(ulong itemKey, ulong[] memberKeys)
    {
        var order = new Candidate[memberKeys.Length];
        for (int m = 0; m < memberKeys.Length; m++)
        {
            order[m] = new Candidate(StableHash.Weight(itemKey, memberKeys[m]), m);
        }

        order.AsSpan().Sort(CandidateOrder.Instance);
        var ranking = new int[order.Length];
        for (int r = 0; r < order.Length; r++)
        {
            ranking[r] = order[r].Item;
        }

        return ranking;
    }

    /// <summary>A weight and the index it belongs to (an item, or a member when ranking one item's members).</summary>
    private readonly record struct Candidate(ulong Weight, int Item);

    /// <summary>Descending weight, then ascending index: a total order, so no sort or queue can break a tie its own way.</summary>
    private sealed class CandidateOrder : IComparer<Candidate>
    {
        public static CandidateOrder Instance { get; } = new();

        public int Compare(Candidate x, Candidate y)
        {
            int byWeight = y.Weight.CompareTo(x.Weight);
            return byWeight != 0 ? byWeight : x.Item.CompareTo(y.Item);
        }
    }

    /// <summary>
    /// Room per member: <c>floor(N/n)</c> each, and one more for the first <c>N mod n</c> members to reach it. The
    /// capacities sum to <c>N</c>, so every member ends with <c>floor(N/n)</c> or <c>floor(N/n) + 1</c> items.
    /// </summary>
    private sealed class Capacity(int itemCount, int memberCount)
    {
        private readonly int[] _taken = new int[memberCount];
        private readonly int _floor = itemCount / memberCount;
        private readonly int _extraMax = itemCount % memberCount;
        private int _extra;

        public bool TryTake(int member)
        {
            if (_taken[member] < _floor)
            {
                _taken[member]++;
                return true;
            }

            if (_taken[member] == _floor && _extra < _extraMax)
            {
                _taken[member]++;
                _extra++;
                return true;
            }

            return false;
        }
    }
}
