namespace Partitioner.Integration.CommandLine;

/// <summary>
/// Every row of the README's table of errors: the command prints exactly one line on stderr naming the bad value,
/// no stack trace, and exits with the row's code (2 for bad input, 4 when no server answers).
/// </summary>
public sealed class CommandLineErrorTests
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);

    public static TheoryData<string[], string, int> Rows => new()
    {
        { ["bogus"], "partitioner: Unrecognized command or argument 'bogus'. (see partitioner --help)", 2 },
        { ["simulate", "--members", "0"], "partitioner simulate: --members 0 is not between 1 and 100", 2 },
        { ["simulate", "--items", "abc"], "partitioner simulate: --items 'abc' is not a whole number (see partitioner simulate --help)", 2 },
        { ["simulate", "--seed", "-5"], "partitioner simulate: --seed '-5' is not a whole number zero or more (see partitioner simulate --help)", 2 },
        { ["simulate", "--fault-rate", "-1"], "partitioner simulate: --fault-rate -1 is not a number zero or more", 2 },
        { ["simulate", "--duration", "0"], "partitioner simulate: --duration 0 is not a number of seconds more than zero (at most a day)", 2 },
        { ["simulate", "--kazoo-members", "-1"], "partitioner simulate: --kazoo-members -1 is not between 0 and 99", 2 },
        { ["simulate", "--members", "90", "--kazoo-members", "11"], "partitioner simulate: --kazoo-members 11 with --members 90 makes 101 members, more than 100", 2 },
        { ["simulate", "--runs", "0"], "partitioner simulate: --runs 0 is not between 1 and 10000000", 2 },
        { ["simulate", "--scenario", "garbage"], "partitioner simulate: --scenario: scenario part 'garbage' is not key=value", 2 },
        { ["simulate", "--runs", "2", "--determinism", "some"], "partitioner simulate: --determinism 'some' is not 'every' or 'sample'", 2 },
        { ["simulate", "--rebalance", "lazy"], "partitioner simulate: --rebalance 'lazy' is not 'eager', 'cooperative' or 'mixed'", 2 },
        { ["simulate", "--kazoo-members", "1", "--rebalance", "cooperative"], "partitioner simulate: --kazoo-members 1 with --rebalance cooperative: a kazoo member cannot take part in a cooperative party (use --rebalance mixed)", 2 },
        { ["replay", "/nonexistent/member.jsonl"], "partitioner replay: '/nonexistent/member.jsonl' is neither an event log nor a folder", 2 },
        { ["worker", "--items", "a"], "partitioner worker: Option '--path' is required. (see partitioner worker --help)", 2 },
        { ["worker", "--path", "p", "--items", "a"], "partitioner worker: The path \"p\" is not an absolute znode path: it does not start with '/'.", 2 },
        { ["worker", "--path", "/p", "--items", "a,b/c"], "partitioner worker: The item \"b/c\" cannot be a znode name: it contains '/'.", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--identifier", "a/b"], "partitioner worker: The identifier \"a/b\" is not valid: it contains '/'.", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--prefix", "xyz"], "partitioner worker: The contender prefix \"xyz\" is not 32 lowercase hex digits.", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--time-boundary", "-1"], "partitioner worker: --time-boundary -1 is not a number of seconds zero or more (at most a day)", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--session-timeout", "abc"], "partitioner worker: --session-timeout 'abc' is not a number (see partitioner worker --help)", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--connect", "host:abc"], "partitioner worker: --connect: The server 'host:abc' in 'host:abc' has an invalid port 'abc'.", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--connect", "a:1,,b:2"], "partitioner worker: --connect: The connect string 'a:1,,b:2' has an empty server entry.", 2 },
        { ["worker", "--path", "/p"], "partitioner worker: the items are missing: give --items a,b,c or --items-file FILE", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--items-file", "/nonexistent/items.txt"], "partitioner worker: give --items or --items-file, not both", 2 },
        { ["worker", "--path", "/p", "--items-file", "/nonexistent/items.txt"], "partitioner worker: --items-file '/nonexistent/items.txt' cannot be read: Could not find a part of the path '/nonexistent/items.txt'.", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--connect", "127.0.0.1:1", "--connect-timeout", "3"], "partitioner worker: could not connect to 127.0.0.1:1 within 3 s; the last attempt: connecting to 127.0.0.1:1 failed: Connection refused", 4 },
        { ["worker", "--path", "/p", "--items", "a", "--connect-timeout", "0"], "partitioner worker: --connect-timeout 0 is not a number of seconds more than zero (at most a day)", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--rebalance", "lazy"], "partitioner worker: --rebalance lazy: expected eager or cooperative", 2 },
        { ["worker", "--path", "/p", "--items", "a", "--partition-function", "hashy"], "partitioner worker: --partition-function hashy: expected round-robin or sticky", 2 },
        { ["inspect", "--path", "p"], "partitioner inspect: The path \"p\" is not an absolute znode path: it does not start with '/'.", 2 },
        { ["inspect", "--path", "/p", "--what-if", "bogus"], "partitioner inspect: --what-if 'bogus' is not join:NAME or leave:NAME", 2 },
        { ["inspect", "--path", "/p", "--what-if", "join:a/b"], "partitioner inspect: --what-if: The identifier \"a/b\" is not valid: it contains '/'.", 2 },
        { ["inspect", "--path", "/p", "--items", "a,b/c"], "partitioner inspect: The item \"b/c\" cannot be a znode name: it contains '/'.", 2 },
        { ["inspect", "--path", "/p", "--connect", "127.0.0.1:1", "--connect-timeout", "3"], "partitioner inspect: could not connect to 127.0.0.1:1 within 3 s; the last attempt: connecting to 127.0.0.1:1 failed: Connection refused", 4 },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public async Task BadInput_PrintsOneLineNamingIt_AndTheRowsExitCode(string[] arguments, string line, int exitCode)
    {
        var run = await CliProcess.Run(arguments, CommandTimeout);

        Assert.True(run.ExitCode == exitCode, run.ToString());
        // inspect says on stderr that it is connecting (its stdout may be JSON); that line is not the error.
        Assert.Equal([line], run.ErrorLines.Where(l => !l.StartsWith("partitioner inspect: connecting to ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Replay_OfAFileThatIsNoEventLog_PrintsOneLineNamingIt_AndExits2()
    {
        var file = Path.Combine(Path.GetTempPath(), $"partitioner-not-a-log-{Guid.NewGuid():N}.jsonl");
        await File.WriteAllTextAsync(file, "this is not json\n");
        try
        {
            var run = await CliProcess.Run(["replay", file], CommandTimeout);

            Assert.True(run.ExitCode == 2, run.ToString());
            var only = Assert.Single(run.ErrorLines);
            Assert.StartsWith($"partitioner replay: '{file}' is not a readable event log: ", only, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Worker_ItemFromAFile_WithABadItem_NamesTheItem_AndExits2()
    {
        var file = Path.Combine(Path.GetTempPath(), $"partitioner-items-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, "queue-a\r\n\nqueue/b\n");
        try
        {
            var run = await CliProcess.Run(["worker", "--path", "/p", "--items-file", file], CommandTimeout);

            Assert.True(run.ExitCode == 2, run.ToString());
            Assert.Equal(["partitioner worker: The item \"queue/b\" cannot be a znode name: it contains '/'."], run.ErrorLines);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task SimulateRuns_WhenRedirected_PrintsNoProgress_AndWhenForced_PrintsIt()
    {
        string[] arguments = ["simulate", "--seed", "3", "--runs", "3", "--members", "2", "--items", "4", "--duration", "5"];

        var quiet = await CliProcess.Run(arguments, CommandTimeout);
        var forced = await CliProcess.Run(arguments, CommandTimeout, new Dictionary<string, string> { ["PARTITIONER_PROGRESS"] = "always" });

        Assert.True(quiet.ExitCode == 0, quiet.ToString());
        Assert.Equal("", quiet.Errors);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Contains("simulate: 3/3 (100%)", forced.Errors, StringComparison.Ordinal);
        Assert.Equal(quiet.Output.Split('\n').Length, forced.Output.Split('\n').Length);
    }
}
