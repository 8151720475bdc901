using BenchmarkDotNet.Attributes;
using Partitioner.Simulation;
using Partitioner.Simulation.Running;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// The simulator: one whole run of a fixed scenario (5 members, 20 items, a 10 s fault phase at 0.2 faults/s, then
/// the liveness phase), real SetPartitioners on the in-memory ZooKeeper with the checks after every step. The
/// <c>Step</c> column divides the mean by the run's steps.
/// </summary>
[MemoryDiagnoser]
public class SimulatorBenchmarks
{
    private readonly Scenario _scenario = ScenarioGenerator.FromSeed(62_000_000, 5, 20, TimeSpan.FromSeconds(10), 0.2);

    [GlobalSetup]
    public void Setup() => StepColumn.Record(typeof(SimulatorBenchmarks), nameof(SimulateRun), Simulator.Run(_scenario).Steps, "steps");

    /// <summary>One simulated run, as <c>partitioner simulate</c> does it (without its second, logged run).</summary>
    [Benchmark]
    public long SimulateRun() => Simulator.Run(_scenario).Steps;
}
