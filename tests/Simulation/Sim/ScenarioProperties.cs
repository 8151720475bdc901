using Partitioner.Simulation;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Sim;

/// <summary>
/// The simulator's main properties over FsCheck-generated scenarios: single owner and lock agreement after
/// every step, and convergence within the stated bound after the last fault. 700 scenarios by default
/// (with the fault-heavy class, over 1,000 per run); PARTITIONER_SIM_RUNS raises the count.
/// </summary>
public sealed class ScenarioProperties
{
    [Fact]
    public void AnyScenario_KeepsOneOwnerPerItem_AgreesWithTheLocks_AndConverges()
    {
        var failure = ScenarioCheck.Find(ScenarioGenerators.Scenarios(faultsMax: 6), ScenarioCheck.Runs(700, 0.7));
        ScenarioCheck.AssertPassed(failure);
    }
}

/// <summary>Dense fault schedules, and determinism (same scenario, same trace hash), in a class of their own so xUnit runs them beside the main property.</summary>
public sealed class FaultHeavyProperties
{
    [Fact]
    public void FaultHeavyScenario_KeepsOneOwnerPerItem_AgreesWithTheLocks_AndConverges()
    {
        var failure = ScenarioCheck.Find(ScenarioGenerators.Scenarios(faultsMax: 16), ScenarioCheck.Runs(300, 0.3));
        ScenarioCheck.AssertPassed(failure);
    }

    [Fact]
    public void SameScenario_RunTwice_GivesTheSameTraceHashAndOutcome()
    {
        var scenarios = FsCheck.Fluent.Gen.Sample(ScenarioGenerators.Scenarios(faultsMax: 8), 25);
        foreach (var scenario in scenarios)
        {
            var first = Simulator.Run(scenario);
            var second = Simulator.Run(scenario);

            Assert.True(first.TraceHash == second.TraceHash, $"trace hashes differ for scenario {scenario}");
            Assert.Equal(first.Outcome, second.Outcome);
            Assert.Equal(first.Timeline, second.Timeline);
        }
    }

    [Fact]
    public void DifferentSeeds_GiveDifferentTraces()
    {
        // The hash must depend on the run, or the determinism check above proves nothing.
        var a = ScenarioGenerator.FromSeed(1, 3, 10, TimeSpan.FromSeconds(5), 0.5);
        var b = a with { Seed = 2 };

        Assert.NotEqual(Simulator.Run(a).TraceHash, Simulator.Run(b).TraceHash);
    }
}
