using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation.Checks;

/// <summary>The checkers must see what they are for; each is shown a violation and a clean case.</summary>
public sealed class CheckerTests
{
    [Fact]
    public void SingleOwner_WhenTwoMembersOwnOneItem_NamesTheItemAndBoth()
    {
        var problem = SingleOwnerChecker.Check([("m0", ["1", "2"]), ("m1", ["3"]), ("m2", ["2"])]);

        Assert.Equal("item '2' is owned by both m0 and m2", problem);
        Assert.Null(SingleOwnerChecker.Check([("m0", ["1", "2"]), ("m1", ["3"])]));
    }

    [Fact]
    public void StepChecks_WhereTheyTakeAClaimToHoldWithoutAsking_AgreeWithThePartitionerAtEveryStep()
    {
        // Drawn worlds: clock drift in about half, every fault kind at one fault a second, parties of 1 to 8.
        int drifting = 0;
        for (ulong seed = 500; seed < 530; seed++)
        {
            var scenario = ScenarioGenerator.FromSeed(seed, members: 1 + (int)(seed % 8), items: 40, TimeSpan.FromSeconds(10), faultRate: 1.0);
            drifting += scenario.ClockDriftPermille > 0 ? 1 : 0;

            // VerifyHeldClaims reads every member's claim every step as well and throws where the two differ.
            var result = Simulator.Run(scenario, new SimulationOptions { VerifyHeldClaims = true });

            Assert.True(result.Outcome == SimulationOutcome.Passed, $"seed {seed}: {result.Violation}");
        }

        Assert.InRange(drifting, 5, 25);
    }

    [Fact]
    public void LockAgreement_WhenTheLowestContenderIsAnotherSessions_ReportsIt()
    {
        // Given b's lock node created before a's on item "7"
        var h = new ModelHarness();
        var (a, _) = h.Connect("a");
        var (b, _) = h.Connect("b");
        foreach (var path in new[] { "/p", "/p/locks", "/p/locks/7" })
        {
            h.Await(a.CreateAsync(path, default, NodeKind.Persistent));
        }

        var prefixA = new string('a', 32);
        var prefixB = new string('b', 32);
        h.Await(b.CreateAsync($"/p/locks/7/{prefixB}__lock__", default, NodeKind.EphemeralSequential));
        h.Await(a.CreateAsync($"/p/locks/7/{prefixA}__lock__", default, NodeKind.EphemeralSequential));

        // Then a's claim on "7" is refused and b's is accepted
        var claimA = new LockClaim("a", a.SessionId, prefixA, ["7"], ClientConnected: true);
        var claimB = new LockClaim("b", b.SessionId, prefixB, ["7"], ClientConnected: true);
        Assert.StartsWith("a owns item '7' but the lowest contender is", LockAgreementChecker.Check(h.Server, "/p", [claimA]));
        Assert.Null(LockAgreementChecker.Check(h.Server, "/p", [claimB]));
    }

    [Fact]
    public void LockAgreement_WhenTheOwnersSessionHasExpired_ReportsIt()
    {
        var h = new ModelHarness();
        var (a, _) = h.Connect("a");
        h.Await(a.CreateAsync("/p", default, NodeKind.Persistent));
        var claim = new LockClaim("a", a.SessionId, new string('a', 32), ["1"], ClientConnected: false);

        h.Server.ExpireSession(a.SessionId, forced: false);

        Assert.Contains("which the server has ended", LockAgreementChecker.Check(h.Server, "/p", [claim]));
    }

    [Fact]
    public void LockAgreement_AnOperatorsKill_IsLeftToFencingWhetherOrNotTheClientReadTheClose()
    {
        // An operator's kill is the one expiry no member can know of in time: the README's guarantee leaves
        // it to fencing tokens, and the claim checks do not count it.
        var h = new ModelHarness();
        var (a, _) = h.Connect("a");
        h.Server.ExpireSession(a.SessionId, forced: true);

        var unread = new LockClaim("a", a.SessionId, new string('a', 32), ["1"], ClientConnected: true);
        var read = unread with { ClientConnected = false };

        Assert.Null(LockAgreementChecker.Check(h.Server, "/p", [unread]));
        Assert.Null(LockAgreementChecker.Check(h.Server, "/p", [read]));
        Assert.True(SingleOwnerChecker.KilledByOperator(h.Server, a.SessionId));
    }

    [Fact]
    public void LockAgreement_ACSharpMemberStillAcquiredWhileItsReleaseDeletesItsLocks_IsReported()
    {
        // A kazoo-like member's claim is left out from the start of a lock's release (two of its allocations share
        // kazoo's list of locks, seed 70035222); a C# member that claims an item while its own release deletes the
        // lock must still be caught. Given one C# member with two items, then a second that joins at 1 s
        var scenario = TestScenarios.OneMemberThenAJoin;

        // When a broken Core reports its last set as Acquired in the step that sends the deletes of its locks
        var broken = Simulator.Run(scenario, new SimulationOptions { DecideOverride = StaysAcquiredWhileReleasing() });

        // Then the delete that the server carries out leaves a claim with no contender
        Assert.Equal(SimulationOutcome.Passed, Simulator.Run(scenario).Outcome);
        Assert.Equal(ViolationKind.LockAgreement, broken.Violation?.Kind);
        Assert.Matches("^m0 owns item '[01]' but /partitioner/locks/[01] has no contender$", broken.Violation!.Message);
    }

    [Fact]
    public void Liveness_ACSharpMembersUncoveredItem_IsNotExcusedByAKazooMembersLocklessItem()
    {
        // Seed 70063918: an operator deleted k0's lock node during its acquire, which returned False; kazoo ignores
        // that and works on item '0' with no lock, the checks leave the item out of its claims, and liveness excuses
        // it. The excuse counts only that kazoo item: a C# member's own uncovered item still fails liveness.
        var scenario = Scenario.Parse(RegressionScenarioTests.KazooIgnoresAFalseAcquireAfterAnOperatorDelete);

        // When every C# member leaves item '8' out of what it reports owning
        var broken = Simulator.Run(scenario, new SimulationOptions { DecideOverride = NeverReportsItem("8") });

        // Then k0 still works on item '0' with no lock, and the run fails liveness unexcused: '0' and '8' are unowned
        Assert.Contains(broken.Timeline, l => l.EndsWith("k0 (kazoo) counts 1 items as held whose acquire returned False: [0]", StringComparison.Ordinal));
        Assert.Equal(SimulationOutcome.LivenessViolation, broken.Outcome);
        Assert.EndsWith(": 2 items have no owner, first '0'", broken.Violation!.Message);
        Assert.Null(broken.KazooLivenessExcuse);
    }

    [Theory]
    [InlineData("0123456789abcdef0123456789abcdef__lock__0000000042", 42L)]
    [InlineData("x__lock__-0000000003", -3L)]
    [InlineData("x__lock__000000004", null)]
    [InlineData("x__rlock__0000000004", null)]
    [InlineData("x-lock-0000000004", null)]
    public void SequenceOf_ReadsKazoosContenderPattern(string name, long? expected) =>
        Assert.Equal(expected, LockAgreementChecker.SequenceOf(name));

    [Fact]
    public void Liveness_ReportsWhoIsWaitingAndWhatIsUncovered()
    {
        Assert.Equal("not Acquired: m1", LivenessChecker.Converged(["0", "1"], [("m0", true, ["0", "1"]), ("m1", false, [])]));
        Assert.Equal("1 items have no owner, first '1'", LivenessChecker.Converged(["0", "1"], [("m0", true, ["0"])]));
        Assert.Equal("an item is owned twice", LivenessChecker.Converged(["0"], [("m0", true, ["0"]), ("m1", true, ["0"])]));
        Assert.Null(LivenessChecker.Converged(["0", "1"], [("m0", true, ["1"]), ("m1", true, ["0"])]));
    }

    /// <summary>
    /// Core, except that the step in which a release sends the deletes of the member's locks reports the set it last
    /// acquired as Acquired (kept per member, by identifier).
    /// </summary>
    private static Func<MemberState, Event, Decision> StaysAcquiredWhileReleasing()
    {
        var lastSet = new Dictionary<string, MemberState>(StringComparer.Ordinal);
        return (state, @event) =>
        {
            var decision = Decider.Decide(state, @event);
            if (decision.State.PartitionState == PartitionState.Acquired)
            {
                lastSet[state.Config.Identifier] = decision.State;
            }

            bool deletesLocks = @event is ReleaseRequested && decision.Commands.Any(c => c is Multi or DeleteNode);
            return deletesLocks && lastSet.TryGetValue(state.Config.Identifier, out var acquired)
                ? decision with
                {
                    State = decision.State with { PartitionState = PartitionState.Acquired, AcquiredItems = acquired.AcquiredItems, OwnedItems = acquired.OwnedItems },
                }
                : decision;
        };
    }

    /// <summary>Core, except that <paramref name="item"/> is left out of the items an Acquired member reports.</summary>
    private static Func<MemberState, Event, Decision> NeverReportsItem(string item) => (state, @event) =>
    {
        var decision = Decider.Decide(state, @event);
        return decision.State.AcquiredItems.Contains(item)
            ? decision with
            {
                State = decision.State with
                {
                    AcquiredItems = decision.State.AcquiredItems.Remove(item),
                    OwnedItems = decision.State.OwnedItems.RemoveAll(o => o.Name == item),
                },
            }
            : decision;
    };
}
