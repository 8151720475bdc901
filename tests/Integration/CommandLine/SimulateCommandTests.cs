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

    [Fact]
    public async Task SimulateRunsOne_FromASeedOfASoak_DrawsThatSeedsPartyAndPrintsTheSoaksLine()
    {
        // A soak's failing seed is rerun alone with --runs 1: it must be the same scenario the soak drew for it.
        var soak = await RunCli(["simulate", "--seed", "40", "--runs", "3", "--duration", "4", "--items", "12"]);
        var alone = await RunCli(["simulate", "--seed", "42", "--runs", "1", "--duration", "4", "--items", "12"]);

        Assert.True(soak.ExitCode == 0, soak.Output);
        Assert.True(alone.ExitCode == 0, alone.Output);
        static string SeedLine(string output, string seed) => Assert.Single(output.Split('\n'), l => l.StartsWith($"seed {seed}:", StringComparison.Ordinal));
        Assert.Equal(SeedLine(soak.Output, "42"), SeedLine(alone.Output, "42"));
    }

    [Fact]
    public async Task SimulateRuns_WithKazooMembers_DrawsAPartyThatLeavesThemRoom()
    {
        // Seed 80004200 draws 100 members, the simulator's limit: with three kazoo members asked for, the soak
        // draws 97 of its own instead of ending as bad input (a soak ended so at such a seed).
        string[] arguments = ["simulate", "--seed", "80004200", "--runs", "1", "--duration", "1", "--items", "1", "--fault-rate", "0"];
        var alone = await RunCli([.. arguments, "--kazoo-members", "0"]);
        var withKazoo = await RunCli([.. arguments, "--kazoo-members", "3"]);

        Assert.True(alone.ExitCode == 0, alone.Output);
        Assert.Contains("seed 80004200: passed, 100 members,", alone.Output, StringComparison.Ordinal);
        Assert.True(withKazoo.ExitCode == 0, withKazoo.Output);
        Assert.Contains("seed 80004200: passed, 97 members and 3 kazoo", withKazoo.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SimulateRuns_WithDeterminismSample_RunsTwiceOnlyTheSeedsDivisibleByTen_AndPrintsTheSameSeedLines()
    {
        string[] arguments = ["simulate", "--seed", "38", "--runs", "4", "--duration", "4", "--items", "12", "--parallel", "2"];

        var every = await RunCli(arguments);
        var sample = await RunCli([.. arguments, "--determinism", "sample"]);

        Assert.True(every.ExitCode == 0, every.Output);
        Assert.True(sample.ExitCode == 0, sample.Output);
        Assert.Contains("all 4 seeds from 38 passed\n", every.Output, StringComparison.Ordinal);
        Assert.Contains("all 4 seeds from 38 passed; 1 of them (those divisible by 10) were run twice for determinism", sample.Output, StringComparison.Ordinal);
        Assert.Contains("1 of them run twice", SpeedLines(sample.Output).Single(), StringComparison.Ordinal);
        Assert.Contains("each run twice", SpeedLines(every.Output).Single(), StringComparison.Ordinal);

        // The seed lines come from each seed's first run, which the option does not change.
        static string SeedLines(string output) => string.Join('\n', output.Split('\n').Where(l => l.StartsWith("seed ", StringComparison.Ordinal)));
        Assert.Equal(4, SeedLines(every.Output).Split('\n').Length);
        Assert.Equal(SeedLines(every.Output), SeedLines(sample.Output));
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
