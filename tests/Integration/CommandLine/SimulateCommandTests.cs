namespace Partitioner.Integration.CommandLine;

/// <summary>
/// The `partitioner` command as a user runs it, in separate processes: the same seed must print the
/// same run in two processes (string hashing, thread scheduling and wall time differ between them),
/// and the event logs a run writes must replay through Core from a third process.
/// </summary>
public sealed class SimulateCommandTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Simulate_SameSeedInTwoProcesses_PrintsTheSameRunApartFromTheSpeedLine()
    {
        string[] arguments = ["simulate", "--seed", "7", "--members", "4", "--items", "30", "--duration", "30", "--fault-rate", "0.4"];

        var first = await RunCli(arguments);
        var second = await RunCli(arguments);

        Assert.Equal(0, first.ExitCode);
        Assert.Equal(0, second.ExitCode);
        Assert.Contains("result: PASSED", first.Output, StringComparison.Ordinal);
        Assert.Single(SpeedLines(first.Output));
        Assert.Equal(WithoutSpeedLine(first.Output), WithoutSpeedLine(second.Output));
    }

    [Fact]
    public async Task Replay_OfTheLogsASimulationWrote_ReproducesEveryDecision()
    {
        var logs = Directory.CreateTempSubdirectory("partitioner-cli-logs-");
        try
        {
            var simulate = await RunCli(["simulate", "--seed", "11", "--members", "3", "--items", "12", "--duration", "20", "--fault-rate", "0.5", "--log-dir", logs.FullName]);
            Assert.Equal(0, simulate.ExitCode);
            Assert.NotEmpty(logs.EnumerateFiles("*", SearchOption.AllDirectories));

            var replay = await RunCli(["replay", logs.FullName]);

            Assert.True(replay.ExitCode == 0, $"replay exited {replay.ExitCode}:\n{replay.Output}");
        }
        finally
        {
            logs.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task SimulateRuns_OnThreeThreads_PrintsTheSameLinesInSeedOrder_AsOnOne_WithPartySizesDrawnPerSeed()
    {
        string[] arguments = ["simulate", "--seed", "40", "--runs", "6", "--duration", "4", "--items", "12"];

        var one = await RunCli(arguments);
        var three = await RunCli([.. arguments, "--parallel", "3"]);

        Assert.True(one.ExitCode == 0, one.Output);
        Assert.True(three.ExitCode == 0, three.Output);
        Assert.Equal(WithoutSpeedLine(one.Output), WithoutSpeedLine(three.Output));
        var seeds = three.Output.Split('\n').Where(l => l.StartsWith("seed ", StringComparison.Ordinal)).ToList();
        Assert.Equal(["seed 40", "seed 41", "seed 42", "seed 43", "seed 44", "seed 45"], seeds.Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]));

        // --items was given, so every seed has 12; --members and --fault-rate were not, so they vary by seed.
        Assert.All(seeds, l => Assert.Contains(", 12 items, ", l, StringComparison.Ordinal));
        Assert.True(seeds.Select(l => l.Split(", ")[1]).Distinct().Count() > 1, string.Join('\n', seeds));
        Assert.Contains("on 3 threads", three.Output, StringComparison.Ordinal);
    }

    private static List<string> SpeedLines(string output) =>
        [.. output.Split('\n').Where(line => line.StartsWith("speed:", StringComparison.Ordinal))];

    private static string WithoutSpeedLine(string output) =>
        string.Join('\n', output.Split('\n').Where(line => !line.StartsWith("speed:", StringComparison.Ordinal)));

    private static async Task<(int ExitCode, string Output)> RunCli(string[] arguments)
    {
        var run = await CliProcess.Run(arguments, CommandTimeout);
        return (run.ExitCode, run.Output + run.Errors);
    }
}
