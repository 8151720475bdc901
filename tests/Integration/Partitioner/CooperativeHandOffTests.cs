using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Cooperative members with the sticky function on a real server, through a join and a leave with no fault: an item
/// whose owner the function does not change is never reported Revoked or Lost and its work is never stopped, and the
/// items that do move are exactly those the function moves, each revoked by its old owner (its work stopped as an
/// orderly hand-off) and assigned to its new one with a higher token. What happened is read from the members' own
/// reports: each item's work records its start and its stop, and each member's <see cref="SetPartitioner.ItemOwnershipChanged"/>
/// events are kept (<see cref="WorkLedger"/>). With 24 items, d's join moves 7 of them (one from c to a), and b's leave
/// 8 (two between members that stay).
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class CooperativeHandOffTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task ThroughAJoinAndALeave_OnlyTheItemsTheStickyFunctionMovesChangeHands_AndTheOthersWorkOnUninterrupted()
    {
        var items = Range(24);
        var path = server.UniqueRoot("hand-off");
        await using var group = await MemberGroup.Connect(server.ConnectString, path, RebalanceMode.Cooperative);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var party = new List<SetPartitioner> { group.Add("a", items), group.Add("b", items), group.Add("c", items) };
        party.ForEach(observer.Watch);
        await group.Settle(party, items);

        // When d joins, the others stay Acquired and hand over only what the function moves.
        var joiner = group.Add("d", items);
        observer.Watch(joiner);
        await ChangeParty(group, party, [.. party, joiner], items, leaver: null);

        // And when b leaves, likewise.
        var leaver = party.Single(m => m.Config.Identifier == "b");
        await ChangeParty(group, party, [.. party.Where(m => m != leaver)], items, leaver);

        await observer.AssertNoViolations();
        group.Ledger.AssertNoOverlap();
    }

    /// <summary>
    /// Takes the party from <paramref name="party"/> to <paramref name="next"/> (<paramref name="leaver"/> leaves, or the
    /// one new member was added already) and checks every step the members reported meanwhile against what
    /// <see cref="PartitionFunctions.Sticky"/> moves between the two parties.
    /// </summary>
    private static async Task ChangeParty(
        MemberGroup group, List<SetPartitioner> party, List<SetPartitioner> next, ImmutableArray<string> items, SetPartitioner? leaver)
    {
        var start = group.Ledger.Steps.Count;
        var tokens = CurrentTokens(group.Ledger.Steps);
        var stayers = party.Where(m => m != leaver).ToDictionary(m => m, m => m.StateId);
        var before = Owners(party, items);
        var after = Owners(next, items);
        var moved = items.Where(item => before[item] != after[item]).ToList();
        Assert.NotEmpty(moved);
        Assert.NotEqual(items.Length, moved.Count);

        if (leaver is not null)
        {
            await group.Leave(leaver);
        }

        await group.Settle(next, items);
        var expected = ExpectedSteps(moved, before, after, leaver?.Config.Identifier);
        // Settled means the works run where they should; the last events may still be on their way.
        var deadline = DateTime.UtcNow + WaitMax;
        List<WorkStep> steps;
        while (!Summary(steps = [.. group.Ledger.Steps.Skip(start)]).SequenceEqual(expected) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }

        Assert.Equal(expected, Summary(steps));
        foreach (var step in steps.Where(s => s.Owner != leaver?.Config.Identifier))
        {
            Assert.True(moved.Contains(step.Item), $"{step}: {step.Item} stays with {after[step.Item]} under the sticky function");
            if (step.Change == ItemOwnershipChange.Revoked || step.Kind == WorkStepKind.Stopped)
            {
                Assert.Equal(tokens[step.Item], step.Token);
            }
            else
            {
                Assert.True(step.Token > tokens[step.Item], $"{step}: not above the token {tokens[step.Item]} of {before[step.Item]}");
            }
        }

        Assert.All(stayers, s => Assert.True(s.Key.StateId == s.Value, $"{s.Key.Config.Identifier} left Acquired (state id {s.Value}, now {s.Key.StateId})"));
        party.Clear();
        party.AddRange(next);
    }

    /// <summary>
    /// The steps a change must report, and no others: a moving item is revoked at its old owner and its work stopped as
    /// Revoked, then assigned to its new owner and worked on; the leaver's items are lost with the leaver's finish and
    /// their works stopped as Finishing. Each as <see cref="Summary"/> writes it, in a fixed order.
    /// </summary>
    private static List<string> ExpectedSteps(
        List<string> moved, Dictionary<string, string> before, Dictionary<string, string> after, string? leaver)
    {
        var expected = new List<string>();
        foreach (var item in moved)
        {
            var (from, to) = (before[item], after[item]);
            expected.AddRange(from == leaver
                ? [$"{from} {item} Changed Lost", $"{from} {item} Stopped Finishing"]
                : [$"{from} {item} Changed Revoked", $"{from} {item} Stopped Revoked"]);
            expected.AddRange([$"{to} {item} Changed Assigned", $"{to} {item} Started"]);
        }

        return [.. expected.Order(StringComparer.Ordinal)];
    }

    /// <summary>The steps without their tokens, in a fixed order: which member did what to which item.</summary>
    private static List<string> Summary(IEnumerable<WorkStep> steps) =>
        [.. steps.Select(s => $"{s.Owner} {s.Item} {s.Kind}{(((object?)s.Change ?? s.Reason) is { } detail ? " " + detail : "")}").Order(StringComparer.Ordinal)];

    /// <summary>Each item's owner in the party under the sticky function, computed here from the party alone.</summary>
    private static Dictionary<string, string> Owners(IEnumerable<SetPartitioner> party, ImmutableArray<string> items)
    {
        var identifiers = party.Select(m => m.Config.Identifier).ToList();
        return identifiers
            .SelectMany(identifier => Share(RebalanceMode.Cooperative, identifier, identifiers, items).Select(item => (item, identifier)))
            .ToDictionary(p => p.item, p => p.identifier, StringComparer.Ordinal);
    }

    /// <summary>The token of the latest work started on each item.</summary>
    private static Dictionary<string, long> CurrentTokens(IEnumerable<WorkStep> steps)
    {
        var tokens = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var step in steps.Where(s => s.Kind == WorkStepKind.Started))
        {
            tokens[step.Item] = step.Token;
        }

        return tokens;
    }
}
