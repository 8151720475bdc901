using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation.Checks;

/// <summary>
/// The fenced store: under faults (pauses in the middle of the work, expiries, slow releases) stale owners' writes
/// reach it and are refused, none is accepted, and work overlap is reported; with a broken token the check fails.
/// </summary>
public sealed class FencedStoreTests
{
    /// <summary>Seed 1005 of <c>simulate --fault-rate 1</c> (5 members, 20 items): pauses and expiries that leave stale owners writing.</summary>
    private static Scenario Faulty() => ScenarioGenerator.FromSeed(1005, 5, 20, TimeSpan.FromSeconds(60), 1.0);

    [Fact]
    public void Store_UnderFaults_RefusesStaleOwnersWritesAndAcceptsNone()
    {
        var result = Simulator.Run(Faulty());

        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        Assert.True(result.StoreWritesRefused > 0, "no stale write reached the store: the scenario does not exercise fencing");
        Assert.True(result.StoreWritesAccepted > 0);
        Assert.True(result.WorkOverlaps > 0 && result.WorkOverlapLongest > TimeSpan.Zero, "no work overlap reported");
    }

    [Fact]
    public void Store_WhenConsumersWriteWithAConstantToken_FailsWithAStaleWriteAccepted()
    {
        // A constant token never falls below the highest seen, so the store takes a former owner's late writes.
        var result = Simulator.Run(Faulty(), new SimulationOptions { TokenOverride = _ => 1 });

        Assert.Equal(SimulationOutcome.SafetyViolation, result.Outcome);
        Assert.Equal(ViolationKind.StaleWrite, result.Violation!.Kind);
        Assert.Equal(4, result.ExitCode);
        Assert.Contains("the store accepted a write from", result.Violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Store_WithTheRealTokens_TheSameRunTwiceGivesTheSameCounts()
    {
        var first = Simulator.Run(Faulty());
        var second = Simulator.Run(Faulty());

        Assert.Equal(first.TraceHash, second.TraceHash);
        Assert.Equal((first.StoreWritesAccepted, first.StoreWritesRefused, first.WorkOverlaps), (second.StoreWritesAccepted, second.StoreWritesRefused, second.WorkOverlaps));
    }
}
