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
