using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Partitioner.Simulation;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Sim;

/// <summary>What a property run found: the shrunk failing scenario, its result, and the report to print.</summary>
internal sealed record PropertyFailure(Scenario Scenario, SimulationResult Result, string Report);

/// <summary>
/// Runs the simulator under FsCheck: generates scenarios, runs each, shrinks a failure, then re-runs the
/// shrunk scenario with event logs on (the run is deterministic, so it fails the same way) and writes them.
/// </summary>
internal static class ScenarioCheck
{
    /// <summary>The environment variable that raises the number of scenarios for soak runs.</summary>
    public const string RunsVariable = "PARTITIONER_SIM_RUNS";

    /// <summary>
    /// How many scenarios a property checks: <paramref name="defaultRuns"/>, or <paramref name="share"/> of
    /// <see cref="RunsVariable"/> when it is set higher.
    /// </summary>
    public static int Runs(int defaultRuns, double share)
    {
        var text = Environment.GetEnvironmentVariable(RunsVariable);
        if (string.IsNullOrEmpty(text))
        {
            return defaultRuns;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var total) || total <= 0)
        {
            throw new ArgumentException($"{RunsVariable} = '{text}' must be a positive whole number", RunsVariable);
        }

        return Math.Max(defaultRuns, (int)(total * share));
    }

    /// <summary>
    /// Checks <paramref name="runs"/> scenarios; null when all passed, else the shrunk failure. With
    /// <paramref name="fsCheckSeed"/> FsCheck draws the same scenarios every time (for tests whose point is
    /// what a failure shrinks to); without it each run explores new ones.
    /// </summary>
    public static PropertyFailure? Find(Gen<Scenario> scenarios, int runs, SimulationOptions? options = null, ulong? fsCheckSeed = null)
    {
        options ??= new SimulationOptions();
        (Scenario Scenario, SimulationResult Result)? lastFailing = null;
        var property = Prop.ForAll(Arb.From(scenarios, ScenarioGenerators.Shrink), scenario =>
        {
            var result = Simulator.Run(scenario, options);
            if (result.Outcome == SimulationOutcome.Passed)
            {
                return true;
            }

            // FsCheck moves to each failing candidate while shrinking: the last one is the shrunk scenario.
            lastFailing = (scenario, result);
            return false;
        });
        try
        {
            var config = Config.QuickThrowOnFailure.WithMaxTest(runs);
            if (fsCheckSeed is { } seed)
            {
                // The gamma of a SplitMix generator must be odd; this one is the usual golden-ratio constant.
                var replay = new Replay(new Rnd(seed, 0x9E3779B97F4A7C15UL), Microsoft.FSharp.Core.FSharpOption<int>.None);
                config = config.WithReplay(Microsoft.FSharp.Core.FSharpOption<Replay>.Some(replay));
            }

            Check.One(config, property);
            return null;
        }
        catch (Exception fsCheckReport) when (lastFailing is { } failing)
        {
            return new PropertyFailure(failing.Scenario, failing.Result, Report(failing.Scenario, options, fsCheckReport.Message));
        }
    }

    /// <summary>Fails the test with the report when <paramref name="failure"/> is not null.</summary>
    public static void AssertPassed(PropertyFailure? failure)
    {
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException(failure.Report);
        }
    }

    private static string Report(Scenario scenario, SimulationOptions options, string fsCheckReport)
    {
        var rerun = Simulator.Run(scenario, options with { RecordEventLogs = true });
        var directory = Environment.GetEnvironmentVariable("PARTITIONER_SIM_LOG_DIR")
            ?? Path.Combine(Path.GetTempPath(), "partitioner-sim", rerun.TraceHash[..16]);
        var written = rerun.WriteEventLogs(directory);
        var report = new StringBuilder();
        report.AppendLine(CultureInfo.InvariantCulture, $"{rerun.Outcome}: {rerun.Violation?.Message.Split('\n')[0]}");
        report.AppendLine(CultureInfo.InvariantCulture, $"seed {scenario.Seed}; shrunk scenario: {scenario}");
        report.AppendLine(CultureInfo.InvariantCulture, $"reproduce: dotnet run --project src/Partitioner.Cli -c Release -- simulate --scenario \"{scenario}\"");
        report.AppendLine(CultureInfo.InvariantCulture, $"event logs ({written.Count}) in {directory}");
        report.AppendLine("timeline (last 40 lines):");
        foreach (var line in rerun.Timeline.TakeLast(40))
        {
            report.AppendLine(line);
        }

        report.AppendLine("FsCheck: " + fsCheckReport.Split('\n').FirstOrDefault());
        return report.ToString();
    }
}
