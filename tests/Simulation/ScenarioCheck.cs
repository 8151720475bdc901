using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using Partitioner.Simulation;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation;

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
    /// The environment variable that picks the scenarios FsCheck draws: unset, each property draws the same
    /// ones every run (so a CI result is reproducible and a red run is the code's doing, not the dice's);
    /// <c>random</c> explores new ones (soaks); a number, or FsCheck's printed <c>seed,gamma</c> pair,
    /// replays a run.
    /// </summary>
    public const string SeedVariable = "PARTITIONER_SIM_FSCHECK_SEED";

    /// <summary>
    /// How many more scenarios shrinking may run after the first failure. A failing liveness scenario runs
    /// to its convergence bound (seconds each), and FsCheck alone would shrink for as long as candidates keep
    /// failing (a thousand times once, an hour of CI); past this budget every candidate counts as passing,
    /// so the report shows the smallest failure found so far.
    /// </summary>
    public const int ShrinkRunsMax = 100;

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
    /// Checks <paramref name="runs"/> scenarios drawn from <paramref name="fsCheckSeed"/> (or as
    /// <see cref="SeedVariable"/> says); null when all passed, else the shrunk failure.
    /// </summary>
    public static PropertyFailure? Find(Gen<Scenario> scenarios, int runs, ulong fsCheckSeed, SimulationOptions? options = null)
    {
        options ??= new SimulationOptions();
        (Scenario Scenario, SimulationResult Result)? lastFailing = null;
        var shrinkRuns = 0;
        var property = Prop.ForAll(Arb.From(scenarios, ScenarioGenerators.Shrink), scenario =>
        {
            if (lastFailing is not null && ++shrinkRuns > ShrinkRunsMax)
            {
                return true;
            }

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
            if (Draws(fsCheckSeed) is { } rnd)
            {
                var replay = new Replay(rnd, Microsoft.FSharp.Core.FSharpOption<int>.None);
                config = config.WithReplay(Microsoft.FSharp.Core.FSharpOption<Replay>.Some(replay));
            }

            Check.One(config, property);
            return null;
        }
        catch (Exception fsCheckReport) when (lastFailing is { } failing)
        {
            return new PropertyFailure(failing.Scenario, failing.Result, Report(failing.Scenario, options, fsCheckReport.Message, shrinkRuns));
        }
    }

    /// <summary>The generator state FsCheck starts from: null for new draws (<c>random</c>).</summary>
    private static Rnd? Draws(ulong fsCheckSeed)
    {
        // The gamma of a SplitMix generator must be odd; this one is the usual golden-ratio constant.
        const ulong GoldenGamma = 0x9E3779B97F4A7C15UL;
        var text = Environment.GetEnvironmentVariable(SeedVariable);
        if (string.IsNullOrEmpty(text))
        {
            return new Rnd(fsCheckSeed, GoldenGamma);
        }

        if (text == "random")
        {
            return null;
        }

        var parts = text.Split(',');
        if (parts.Length is 1 or 2
            && ulong.TryParse(parts[0].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var seed))
        {
            if (parts.Length == 1)
            {
                return new Rnd(seed, GoldenGamma);
            }

            if (ulong.TryParse(parts[1].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var gamma) && (gamma & 1) == 1)
            {
                return new Rnd(seed, gamma);
            }
        }

        throw new ArgumentException(
            $"{SeedVariable} = '{text}' must be 'random', a whole number, or FsCheck's 'seed,gamma' pair with an odd gamma",
            SeedVariable);
    }

    /// <summary>Fails the test with the report when <paramref name="failure"/> is not null.</summary>
    public static void AssertPassed(PropertyFailure? failure)
    {
        if (failure is not null)
        {
            throw new Xunit.Sdk.XunitException(failure.Report);
        }
    }

    private static string Report(Scenario scenario, SimulationOptions options, string fsCheckReport, int shrinkRuns)
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
        report.AppendLine(CultureInfo.InvariantCulture, $"(shrinking ran {Math.Min(shrinkRuns, ShrinkRunsMax)} of at most {ShrinkRunsMax} scenarios; {SeedVariable}=<seed,gamma above> draws the same scenarios again)");
        return report.ToString();
    }
}
