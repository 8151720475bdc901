using System.Globalization;
using System.Text.RegularExpressions;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation.Kazoo;

/// <summary>
/// Kazoo-like members in a simulated party with C# members: kazoo's node layout on the wire, its states and its
/// stop-the-world rebalance, and what the checks claim for them (see KazooMember and the fault model).
/// </summary>
public sealed partial class KazooMemberTests
{
    private static Scenario Mixed(int members, int kazoo, int items, params FaultEvent[] faults) => TestScenarios.Quiet with
    {
        Seed = 21,
        Members = members,
        KazooMembers = kazoo,
        Items = items,
        TimeBoundary = TimeSpan.FromMilliseconds(150),
        LatencyMax = TimeSpan.FromMilliseconds(8),
        ReleaseDelayMax = TimeSpan.FromMilliseconds(40),
        FaultPhase = TimeSpan.FromSeconds(6),
        Faults = [.. faults],
    };

    [Fact]
    public void MixedParty_KazooMembersWriteKazoosLayout_TakeKazoosShare_AndTheSetIsCoveredOnce()
    {
        // Given two C# members and two kazoo-like ones sharing 12 items
        var result = Simulator.Run(Mixed(2, 2, 12), new SimulationOptions { KeepDetailLines = true });

        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        foreach (var kazoo in new[] { "k0", "k1" })
        {
            var session = SessionOf(result, kazoo);
            var creates = result.DetailLines.Where(l => l.Contains($"0x{session} create ", StringComparison.Ordinal) && l.EndsWith("-> Ok", StringComparison.Ordinal)).ToArray();

            // Then its party node is <32 hex>-<ID>, ephemeral, holding the identifier
            Assert.Single(creates, l => PartyNode().IsMatch(l) && l.Contains($"-{kazoo} Ephemeral (2 bytes)", StringComparison.Ordinal));

            // And each lock node is <32 hex>__lock__<10 digits>, ephemeral sequential, with no data, a new prefix per lock
            var locks = creates.Select(l => LockNode().Match(l)).Where(m => m.Success).ToArray();
            Assert.NotEmpty(locks);
            Assert.All(locks, m => Assert.Equal("EphemeralSequential (0 bytes)", m.Groups["kind"].Value));
            Assert.All(locks.GroupBy(m => m.Groups["prefix"].Value), lockPrefix => Assert.Single(lockPrefix.Select(m => m.Groups["item"].Value).Distinct()));
            Assert.True(locks.Select(m => m.Groups["prefix"].Value).Distinct().Count() >= 3, "fewer prefixes than items locked");

            // And its share is kazoo's: the items in order, every fourth from its index among the sorted members
            var items = Enumerable.Range(0, 12).Select(i => i.ToString(CultureInfo.InvariantCulture)).Order(StringComparer.Ordinal).ToArray();
            int index = Array.IndexOf(new[] { "k0", "k1", "m0", "m1" }, kazoo);
            var share = items.Where((_, i) => i % 4 == index);
            Assert.Contains(result.Timeline, l => l.Contains($"{kazoo} ALLOCATING -> ACQUIRED", StringComparison.Ordinal) && l.EndsWith($"owns [{string.Join(", ", share)}]", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Join_KazooMembersReleaseEverythingAndLockAgain_AndTheMixedPartyConverges()
    {
        // Given a mixed party that a C# member joins at 2 s
        var result = Simulator.Run(Mixed(1, 2, 9, new FaultEvent(TimeSpan.FromSeconds(2), FaultKind.Join, 0, TimeSpan.Zero)));

        // Then every kazoo member went ACQUIRED -> RELEASE -> ALLOCATING -> ACQUIRED after the join (stop-the-world)
        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        foreach (var kazoo in new[] { "k0", "k1" })
        {
            var after = result.Timeline.SkipWhile(l => !l.Contains("fault: m1 joins", StringComparison.Ordinal))
                .Where(l => l.Contains($" {kazoo} ", StringComparison.Ordinal) && l.Contains("->", StringComparison.Ordinal))
                .Select(l => l[(l.IndexOf(kazoo, StringComparison.Ordinal) + kazoo.Length + 1)..l.IndexOf(" (kazoo", StringComparison.Ordinal)])
                .ToArray();
            Assert.Equal(["ACQUIRED -> RELEASE", "RELEASE -> ALLOCATING", "ALLOCATING -> ACQUIRED"], after);
        }
    }

    [Fact]
    public void ConnectionLoss_OfAKazooMember_MovesItToRelease_ThenItAcquiresAgain()
    {
        // Given a mixed party in which the kazoo member's connection resets (members start m0, then k0: index 1)
        var result = Simulator.Run(Mixed(1, 1, 6, new FaultEvent(TimeSpan.FromSeconds(2), FaultKind.ConnectionLoss, 1, TimeSpan.Zero)));

        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        var after = result.Timeline.SkipWhile(l => !l.Contains("connection of k0 reset", StringComparison.Ordinal)).ToArray();
        Assert.Contains(after, l => l.Contains("k0 ACQUIRED -> RELEASE", StringComparison.Ordinal));
        Assert.Contains(after, l => l.Contains("k0 ALLOCATING -> ACQUIRED", StringComparison.Ordinal));
    }

    [Fact]
    public void PausedKazooMember_KeepsClaimingAfterItsSessionEnded_CountedApart_NotAViolation()
    {
        // Given a kazoo member paused for twice the session timeout while it holds its share
        var result = Simulator.Run(Mixed(1, 1, 6, new FaultEvent(TimeSpan.FromSeconds(2), FaultKind.Pause, 1, TimeSpan.FromSeconds(6))));

        // Then the C# member took its items while it still claimed them (kazoo has no deadline): reported apart
        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        Assert.True(result.KazooOverlaps > 0, "no kazoo overlap was counted");
        Assert.Contains(result.Timeline, l => l.Contains("kazoo overlap: item", StringComparison.Ordinal) && l.Contains("owned by m0 while k0 (kazoo)", StringComparison.Ordinal));
    }

    [Fact]
    public void PartyNodeDeletedUnderAKazooMember_ItsAllocationDies_AndTheOthersConvergeWithoutIt()
    {
        // Given an operator deleting the kazoo member's party node (kazoo's ValueError: its identifier is not in the party)
        var result = Simulator.Run(Mixed(2, 1, 6, new FaultEvent(TimeSpan.FromSeconds(2), FaultKind.OperatorDeletesPartyNode, 2, TimeSpan.Zero)));

        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        Assert.Contains(result.Timeline, l => l.Contains("k0 (kazoo) allocation dies of a ValueError", StringComparison.Ordinal));
        Assert.Contains(result.Timeline, l => l.Contains("m0 Allocating -> Acquired", StringComparison.Ordinal) && l.EndsWith("owns [0, 2, 4]", StringComparison.Ordinal));
    }

    [Fact]
    public void MixedParty_RunTwice_GivesTheSameTrace()
    {
        var scenario = Mixed(2, 2, 10, new FaultEvent(TimeSpan.FromSeconds(1), FaultKind.ConnectionLoss, 3, TimeSpan.Zero),
            new FaultEvent(TimeSpan.FromSeconds(2), FaultKind.Crash, 2, TimeSpan.FromSeconds(1)));

        Assert.Equal(Simulator.Run(scenario).TraceHash, Simulator.Run(scenario).TraceHash);
    }

    [Fact]
    public void LockAgreement_ForAPrefixPerLock_ChecksEachItemAgainstItsOwnLocksPrefix()
    {
        // Given a kazoo-like session holding items "1" and "2" with a lock prefix each
        var h = new ModelHarness();
        var (k, _) = h.Connect("k");
        foreach (var path in new[] { "/p", "/p/locks", "/p/locks/1", "/p/locks/2" })
        {
            h.Await(k.CreateAsync(path, default, NodeKind.Persistent));
        }

        var prefixes = new Dictionary<string, string> { ["1"] = new string('1', 32) + "__lock__", ["2"] = new string('2', 32) + "__lock__" };
        foreach (var (item, prefix) in prefixes)
        {
            h.Await(k.CreateAsync($"/p/locks/{item}/{prefix}", default, NodeKind.EphemeralSequential));
        }

        // Then the claim passes with each item's own prefix, and fails when an item is checked against another's
        var right = new LockClaim("k0", k.SessionId, string.Empty, ["1", "2"], ClientConnected: true, item => prefixes.GetValueOrDefault(item));
        var swapped = right with { PrefixOf = item => prefixes[item == "1" ? "2" : "1"] };
        var unknown = right with { PrefixOf = _ => null };
        Assert.Null(LockAgreementChecker.Check(h.Server, "/p", [right]));
        Assert.StartsWith("k0 owns item '1' but the lowest contender is", LockAgreementChecker.Check(h.Server, "/p", [swapped]));
        Assert.Equal("k0 owns item '1' but it has no lock for it", LockAgreementChecker.Check(h.Server, "/p", [unknown]));
    }

    [Fact]
    public void Validate_MoreThan100MembersWithKazoo_NamesTheValue()
    {
        var scenario = Mixed(95, 6, 3);

        var error = Assert.Throws<ArgumentException>(() => scenario.Validate());

        Assert.Equal("KazooMembers", error.ParamName);
        Assert.Contains("6", error.Message);
    }

    [Fact]
    public void Spec_WithKazoo_RoundTrips()
    {
        var scenario = Mixed(2, 3, 7);

        Assert.Contains("kazoo=3;", scenario.ToString(), StringComparison.Ordinal);
        Assert.Equal(3, Scenario.Parse(scenario.ToString()).KazooMembers);
    }

    private static string SessionOf(SimulationResult result, string member)
    {
        var started = result.Timeline.First(l => l.Contains($"{member} kazoo partitioner 0 started", StringComparison.Ordinal));
        return started[(started.IndexOf("session 0x", StringComparison.Ordinal) + "session 0x".Length)..started.LastIndexOf(')')];
    }

    [GeneratedRegex(@" create /partitioner/party/[0-9a-f]{32}-k\d Ephemeral")]
    private static partial Regex PartyNode();

    [GeneratedRegex(@" create /partitioner/locks/(?<item>\d+)/(?<prefix>[0-9a-f]{32}__lock__)\d{10} (?<kind>\S+ \(\d+ bytes\))")]
    private static partial Regex LockNode();
}
