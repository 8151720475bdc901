using System.Diagnostics;
using System.Globalization;
using global::Partitioner.Cli.Output;
using global::Partitioner.Simulation;
using global::Partitioner.Simulation.Running;

namespace Partitioner.Benchmarks.Simulation;

/// <summary>
/// The simulator's speed: simulated seconds per wall second for parties of 5 members (20 items), 20 members
/// (200 items) and 100 members (10,000 items), with and without faults, over several seeds after a warm-up.
/// Prints every run and the median, the figure quoted in the README. Each run is the whole thing the CLI and
/// the property tests do: real SetPartitioners, the in-memory ZooKeeper, and the checks after every step.
/// </summary>
internal static class SimulationBench
{
    private const int WarmupRuns = 10;

    public static int Run(string[] args)
    {
        bool quick = args.Contains("--short");
        (int Members, int Items, int Runs)[] parties = quick
            ? [(5, 20, 5), (20, 200, 3), (100, 10_000, 1)]
            : [(5, 20, 15), (20, 200, 9), (100, 10_000, 5)];
        // The timed runs print a line each; the warm-up, which prints nothing, shows a progress line on a terminal.
        var progress = Progress.Start("simulate bench, warm-up", WarmupRuns);
        for (ulong seed = 1000; seed < 1000 + WarmupRuns; seed++)
        {
            Simulator.Run(ScenarioGenerator.FromSeed(seed, 5, 20, TimeSpan.FromSeconds(30), 0.2));
            progress?.Report((int)(seed - 1000 + 1));
        }

        progress?.Dispose();

        foreach (var (members, items, runs) in parties)
        {
            Console.WriteLine($"simulator speed: {members} members, {items} items, median of {runs} seeds after {WarmupRuns} warm-up runs");
            Measure("no faults, 120 s", seed => ScenarioGenerator.FromSeed(seed, members, items, TimeSpan.FromSeconds(120), 0.0), runs);
            Measure("0.2 faults/s for 60 s", seed => ScenarioGenerator.FromSeed(seed, members, items, TimeSpan.FromSeconds(60), 0.2), runs);
        }

        return 0;
    }

    private static void Measure(string label, Func<ulong, Scenario> scenarioFor, int runs)
    {
        var ratios = new List<double>();
        Console.WriteLine($"-- {label}");
        for (ulong seed = 1; seed <= (ulong)runs; seed++)
        {
            var scenario = scenarioFor(seed);
            var wall = Stopwatch.StartNew();
            var result = Simulator.Run(scenario);
            wall.Stop();
            double ratio = result.SimulatedTime.TotalSeconds / wall.Elapsed.TotalSeconds;
            ratios.Add(ratio);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"   seed {seed}: {result.SimulatedTime.TotalSeconds,7:0.0} s simulated in {wall.Elapsed.TotalMilliseconds,7:0.0} ms, {result.Steps,7} steps, {ratio,7:0} sim-s/s, {result.Outcome}"));
        }

        ratios.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"   median: {ratios[ratios.Count / 2]:0} simulated seconds per wall second (min {ratios[0]:0}, max {ratios[^1]:0})"));
    }
}
