using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation.Running;

/// <summary>
/// The checks must catch a wrong decision. Every member here runs a deliberately broken Core that stays
/// Acquired when the party changes (kazoo's ACQUIRED -> RELEASE on a membership change is dropped), and
/// the same property that passes with Core must fail, with a scenario shrunk to a few faults (typically one
/// join: a lone member keeps both items, and the newcomer never gets its share).
/// </summary>
public sealed class BrokenDeciderTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Properties_WhenCoreDoesNotReleaseOnAPartyChange_FailWithAShrunkScenario()
    {
        var options = new SimulationOptions { DecideOverride = StaysAcquiredOnPartyChange };

        // A fixed FsCheck seed: what the failure shrinks to must not depend on the draw of one CI run.
        var failure = ScenarioCheck.Find(ScenarioGenerators.Scenarios(faultsMax: 6), runs: 300, fsCheckSeed: 20261128, options);

        Assert.NotNull(failure);
        output.WriteLine(failure.Report);
        Assert.NotEqual(SimulationOutcome.Passed, failure.Result.Outcome);
        Assert.True(failure.Scenario.Faults.Length <= 3, $"not shrunk to at most three faults:\n{failure.Report}");
        Assert.True(failure.Scenario.Members <= 3, $"not shrunk to at most three members:\n{failure.Report}");
        Assert.Contains("reproduce: dotnet run --project src/Partitioner.Cli", failure.Report);
    }

    [Fact]
    public void BrokenDecider_OnAJoin_IsCaughtByTheLivenessCheck()
    {
        // Given one member with two items, then a second joins
        var scenario = TestScenarios.OneMemberThenAJoin;

        var withCore = Simulator.Run(scenario);
        var broken = Simulator.Run(scenario, new SimulationOptions { DecideOverride = StaysAcquiredOnPartyChange });

        // Then Core converges, and the broken member keeps both items so the newcomer never gets its share
        Assert.Equal(SimulationOutcome.Passed, withCore.Outcome);
        Assert.Equal(SimulationOutcome.LivenessViolation, broken.Outcome);
        Assert.Equal(3, broken.ExitCode);
    }

    /// <summary>Core, except that a watch event that would move an Acquired member to Release is ignored.</summary>
    private static Decision StaysAcquiredOnPartyChange(MemberState state, Event @event)
    {
        var decision = Decider.Decide(state, @event);
        bool partyChange = @event is WatchFired && state.PartitionState == PartitionState.Acquired && decision.State.PartitionState == PartitionState.Release;
        return partyChange ? new Decision(state, ImmutableArray<Command>.Empty) : decision;
    }
}
