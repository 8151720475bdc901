using Partitioner.Simulation;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation;

/// <summary>
/// The simulator's main properties over FsCheck-generated scenarios: single owner and lock agreement after
/// every step, and convergence within the stated bound after the last fault. 700 scenarios by default
/// (with the two classes below, over 2,000 per run, across party sizes up to 100 members and 10,000 items,
/// every fault kind, frame limits, stale folders and clock drift); PARTITIONER_SIM_RUNS raises the count,
/// and PARTITIONER_SIM_FSCHECK_SEED=random draws new scenarios instead of each property's fixed ones.
/// </summary>
public sealed class ScenarioProperties
{
    [Fact]
    public void AnyScenario_KeepsOneOwnerPerItem_AgreesWithTheLocks_AndConverges()
    {
        var failure = ScenarioCheck.Find(ScenarioGenerators.Scenarios(faultsMax: 6), ScenarioCheck.Runs(700, 0.35), fsCheckSeed: 20261201);
        ScenarioCheck.AssertPassed(failure);
    }
}

/// <summary>The same property over 700 more scenarios with up to ten faults, in a class of its own so that xUnit runs it beside the others.</summary>
public sealed class MixedFaultProperties
{
    [Fact]
    public void MixedFaultScenario_KeepsOneOwnerPerItem_AgreesWithTheLocks_AndConverges()
    {
        var failure = ScenarioCheck.Find(ScenarioGenerators.Scenarios(faultsMax: 10), ScenarioCheck.Runs(700, 0.35), fsCheckSeed: 20261202);
        ScenarioCheck.AssertPassed(failure);
    }
}

/// <summary>Dense fault schedules, and determinism (same scenario, same trace hash), in a class of their own so xUnit runs them beside the main property.</summary>
public sealed class FaultHeavyProperties
{
    [Fact]
    public void FaultHeavyScenario_KeepsOneOwnerPerItem_AgreesWithTheLocks_AndConverges()
    {
        var failure = ScenarioCheck.Find(ScenarioGenerators.Scenarios(faultsMax: 16), ScenarioCheck.Runs(600, 0.3), fsCheckSeed: 20261203);
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
