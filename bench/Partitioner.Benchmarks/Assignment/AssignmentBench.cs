using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using global::Partitioner.Benchmarks.Partitioner;
using global::Partitioner.Core;

namespace Partitioner.Benchmarks.Assignment;

/// <summary>
/// <c>assignment</c>: how many items change owner when a member joins or leaves, for the sticky function and for
/// kazoo's round-robin, side by side on the same parties. For each size (n members, N items) a walk of party changes
/// alternates a join (n to n+1 members) and a leave of a member drawn at random (n+1 back to n), from a seed per
/// size. Each change's moves are divided by the ideal, the fewest any assignment could move: <c>N/(n+1)</c> for a
/// join, the leaver's share for a leave (a leave of a member that owned nothing has no ratio). Prints, per size, the
/// median and the largest ratio, the moves above the ideal in units of <c>√N</c> (median and largest), and the largest spread
/// between the biggest and the smallest share seen on the walk; then the time one sticky assignment takes. Beside
/// them, plain rendezvous hashing (each item to its member of highest weight, the sticky function's weights without
/// its capacities): the other end of the trade-off, nearly ideal moves and shares far from even.
/// </summary>
internal static class AssignmentBench
{
    private static readonly int[] MemberCounts = [2, 3, 5, 10, 20, 50, 100];
    private static readonly int[] ItemCounts = [10, 100, 1_000, 10_000, 100_000];

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--short");
        int[] memberCounts = quick ? [2, 10, 100] : MemberCounts;
        int[] itemCounts = quick ? [100, 10_000] : ItemCounts;
        Console.WriteLine("assignment: items moved per party change / the ideal (N/(n+1) on a join, the leaver's share on a leave)");
        Console.WriteLine("     n        N | sticky join med   max | leave med   max | excess/√N med  max | spread | kazoo join med    max | leave med    max | spread | rendezvous join med leave med spread");
        var timings = new List<double>();
        foreach (int items in itemCounts)
        {
            foreach (int members in memberCounts)
            {
                int changes = quick ? 4 : (items >= 100_000 ? 10 : 30);
                var sticky = Walk(members, items, changes, StickyOwners, items == itemCounts[^1] && members == memberCounts[^1] ? timings : null);
                var kazoo = Walk(members, items, changes, RoundRobinOwners, null);
                var rendezvous = Walk(members, items, changes, RendezvousOwners, null);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{members,6} {items,8} | {Median.Of(sticky.Joins),15:0.00} {Max(sticky.Joins),5:0.00} | {Median.Of(sticky.Leaves),9:0.00} {Max(sticky.Leaves),5:0.00} | {Median.Of(sticky.Excess),13:0.00} {Max(sticky.Excess),4:0.00} | {sticky.Spread,6} | {Median.Of(kazoo.Joins),14:0.00} {Max(kazoo.Joins),6:0.00} | {Median.Of(kazoo.Leaves),9:0.00} {Max(kazoo.Leaves),6:0.00} | {kazoo.Spread,6} | {Median.Of(rendezvous.Joins),19:0.00} {Median.Of(rendezvous.Leaves),9:0.00} {rendezvous.Spread,6}"));
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"one sticky assignment of {itemCounts[^1]:N0} items to {memberCounts[^1]} or {memberCounts[^1] + 1} members: median {Median.Of(timings):0.0} ms of {timings.Count}"));
        return 0;
    }

    /// <summary>The figures of one walk.</summary>
    private sealed record WalkResult(List<double> Joins, List<double> Leaves, List<double> Excess, int Spread);

    /// <summary>
    /// Starts with <paramref name="memberCount"/> members and makes <paramref name="changes"/> changes, a join then a
    /// leave, comparing each assignment with the one before. <paramref name="timings"/>, when given, gets the time of
    /// every assignment in milliseconds.
    /// </summary>
    private static WalkResult Walk(int memberCount, int itemCount, int changes, Func<ImmutableArray<string>, ImmutableArray<string>, string[]> owners, List<double>? timings)
    {
        var random = new Random((memberCount * 1_000_003) + itemCount);
        var items = Enumerable.Range(0, itemCount).Select(i => $"queue-{random.Next():x8}-{i}").Order(CodePointComparer.Instance).ToImmutableArray();
        var party = Enumerable.Range(0, memberCount).Select(_ => NewMember(random)).ToList();
        var result = new WalkResult([], [], [], 0);
        int spread = 0;
        string[] before = Time(owners, party, items, timings, ref spread);
        for (int change = 0; change < changes; change++)
        {
            bool join = change % 2 == 0;
            string? leaver = join ? null : party[random.Next(party.Count)];
            if (join)
            {
                party.Add(NewMember(random));
            }
            else
            {
                party.Remove(leaver!);
            }

            string[] after = Time(owners, party, items, timings, ref spread);
            int moved = Enumerable.Range(0, itemCount).Count(i => !string.Equals(before[i], after[i], StringComparison.Ordinal));
            double ideal = join ? (double)itemCount / party.Count : before.Count(o => string.Equals(o, leaver, StringComparison.Ordinal));
            if (ideal > 0)
            {
                (join ? result.Joins : result.Leaves).Add(moved / ideal);
                result.Excess.Add((moved - ideal) / Math.Sqrt(itemCount));
            }

            before = after;
        }

        return result with { Spread = spread };
    }

    private static string[] Time(Func<ImmutableArray<string>, ImmutableArray<string>, string[]> owners, List<string> party, ImmutableArray<string> items, List<double>? timings, ref int spread)
    {
        var members = party.Order(CodePointComparer.Instance).ToImmutableArray();
        var clock = Stopwatch.StartNew();
        string[] result = owners(members, items);
        timings?.Add(clock.Elapsed.TotalMilliseconds);
        var sizes = result.CountBy(o => o, StringComparer.Ordinal).Select(p => p.Value).ToList();
        int smallest = sizes.Count < members.Length ? 0 : sizes.Min();
        spread = Math.Max(spread, sizes.Max() - smallest);
        return result;
    }

    private static string NewMember(Random random) => $"member-{random.Next():x8}";

    /// <summary>Every item's owner under the sticky function, from one computation of the whole assignment.</summary>
    private static string[] StickyOwners(ImmutableArray<string> members, ImmutableArray<string> items) =>
        [.. StickyAssignment.Owners(members, items).Select(m => members[m])];

    /// <summary>Every item's owner under plain rendezvous hashing: its member of highest weight, the lower on a tie.</summary>
    private static string[] RendezvousOwners(ImmutableArray<string> members, ImmutableArray<string> items)
    {
        var keys = members.Select(StableHash.MemberKey).ToArray();
        return [.. items.Select(item =>
        {
            ulong hash = StableHash.Of(item);
            int best = 0;
            for (int m = 1; m < keys.Length; m++)
            {
                if (StableHash.Weight(hash, keys[m]) > StableHash.Weight(hash, keys[best]))
                {
                    best = m;
                }
            }

            return members[best];
        })];
    }

    /// <summary>Every item's owner under kazoo's function, asked of it for each member.</summary>
    private static string[] RoundRobinOwners(ImmutableArray<string> members, ImmutableArray<string> items)
    {
        var index = items.Select((item, i) => (item, i)).ToDictionary(p => p.item, p => p.i, StringComparer.Ordinal);
        var owners = new string[items.Length];
        foreach (string member in members)
        {
            foreach (string item in PartitionFunctions.RoundRobin(member, members, items))
            {
                owners[index[item]] = member;
            }
        }

        return owners;
    }

    private static double Max(List<double> values) => values.Count == 0 ? double.NaN : values.Max();
}
