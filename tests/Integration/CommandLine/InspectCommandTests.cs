using System.Collections.Immutable;
using System.Diagnostics;
using System.Text.Json;
using Partitioner.Integration.Infrastructure;
using Partitioner.Integration.Partitioner;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using Xunit.Abstractions;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.CommandLine;

/// <summary>
/// <c>partitioner inspect</c> as an operator runs it, against the real server: a C# party with a duplicate
/// identifier and a lock node of a session that is no member, a kazoo party, the what-if of a join and a leave,
/// the table, and <c>--watch</c> redrawing on a join. Expected shares are written out by hand (kazoo's round-robin).
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class InspectCommandTests(ZooKeeperServerFixture server, ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(1);
    private static readonly ImmutableArray<string> Items = ["a", "b", "c", "d"];
    private readonly ChildProcesses _children = new();

    public void Dispose() => _children.Dispose();

    [Fact]
    public async Task CSharpParty_ShowsHoldersWaitersUnheldItemsAStrayLockAndADuplicateIdentifier()
    {
        var path = server.UniqueRoot("inspect-cs");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var cs1 = group.Add(await Connect(server.ConnectString), "cs-1", Items);
        var cs2 = group.Add(await Connect(server.ConnectString), "cs-2", Items);
        await AssertShares([cs1, cs2], ["a", "c"], ["b", "d"]);
        // A second party node with cs-1's identifier, from a session of its own: a duplicate, standing by.
        await using var duplicate = await Connect(server.ConnectString);
        await duplicate.CreateAsync($"{path}/party/{new string('f', 32)}-cs-1", "cs-1"u8.ToArray(), CreateMode.Ephemeral, Acl.OpenUnsafe);
        await Eventually(async () =>
        {
            await Task.WhenAll(new[] { cs1, cs2 }.Where(m => m.Release).Select(m => m.ReleaseSetAsync()));
            return cs1.Acquired && cs2.Acquired;
        }, "both Acquired again after the duplicate joined");
        // A lock node in a's folder from a session with no party node: it queues behind cs-1.
        await using var ghost = await Connect(server.ConnectString);
        var ghostLock = await ghost.CreateAsync($"{path}/locks/a/{new string('e', 32)}__lock__", "ghost"u8.ToArray(), CreateMode.EphemeralSequential, Acl.OpenUnsafe);
        var itemsFile = Path.GetTempFileName();
        await File.WriteAllLinesAsync(itemsFile, ["a", "b", "c", "d", "e"]);
        try
        {
            var run = await Inspect(["--path", path, "--items-file", itemsFile, "--json"]);

            using var report = JsonDocument.Parse(run.Output);
            var root = report.RootElement;
            var members = root.GetProperty("members").EnumerateArray().ToList();
            Assert.Equal(["cs-1", "cs-1", "cs-2"], members.Select(m => m.GetProperty("identifier").GetString()));
            var standby = Assert.Single(members, m => m.GetProperty("standby").GetBoolean());
            Assert.Equal(new string('f', 32), standby.GetProperty("prefix").GetString());
            Assert.All(members.Where(m => !m.GetProperty("standby").GetBoolean()), m =>
            {
                Assert.Equal("csharp", m.GetProperty("kind").GetString());
                Assert.Equal(2, m.GetProperty("holds").GetInt32());
            });
            var holders = root.GetProperty("items").EnumerateArray().ToDictionary(i => i.GetProperty("item").GetString()!, i => i);
            Assert.Equal("cs-1", holders["a"].GetProperty("holder").GetString());
            Assert.Equal("cs-2", holders["b"].GetProperty("holder").GetString());
            Assert.Equal("cs-1", holders["c"].GetProperty("holder").GetString());
            Assert.Equal("cs-2", holders["d"].GetProperty("holder").GetString());
            var waiter = Assert.Single(holders["a"].GetProperty("waiters").EnumerateArray());
            Assert.Equal($"0x{ghost.SessionId:x}", waiter.GetProperty("session").GetString());
            Assert.InRange(waiter.GetProperty("waited_seconds").GetDouble(), 0, 60);
            Assert.Equal(JsonValueKind.Null, holders["e"].GetProperty("holder").ValueKind);
            Assert.Equal(["e"], root.GetProperty("unheld").EnumerateArray().Select(e => e.GetString()));
            var stray = Assert.Single(root.GetProperty("stray_locks").EnumerateArray());
            Assert.Equal(ghostLock, stray.GetProperty("path").GetString());
            Assert.Contains("has no party node", stray.GetProperty("reason").GetString(), StringComparison.Ordinal);
            var dup = Assert.Single(root.GetProperty("duplicates").EnumerateArray());
            Assert.Equal("cs-1", dup.GetProperty("identifier").GetString());
            Assert.Equal(2, dup.GetProperty("nodes").GetArrayLength());

            var table = await Inspect(["--path", path, "--items-file", itemsFile]);
            output.WriteLine(table.Output);
            Assert.Contains("problems (3):", table.Output, StringComparison.Ordinal);
            Assert.Contains("  nobody holds 1 of the 5 items: e", table.Output, StringComparison.Ordinal);
            Assert.Contains($"  lock node {ghostLock}: its session 0x{ghost.SessionId:x} has no party node", table.Output, StringComparison.Ordinal);
            Assert.Contains($"  duplicate identifier cs-1: 2 party nodes (", table.Output, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(itemsFile);
        }
    }

    [Fact]
    public async Task KazooParty_ShowsKazooMembersAndTheirLocks_AndTheTable()
    {
        var path = server.UniqueRoot("inspect-kazoo");
        var py1 = StartKazooMember(path, "py-1");
        var py2 = StartKazooMember(path, "py-2");
        await Eventually(
            () => py1.LastState == "ACQUIRED" && py2.LastState == "ACQUIRED" && py1.LastItems.SequenceEqual(["a", "c"]) && py2.LastItems.SequenceEqual(["b", "d"]),
            "both kazoo members Acquired with a,c and b,d");

        var json = await Inspect(["--path", path, "--json"]);
        var table = await Inspect(["--path", path]);

        using var report = JsonDocument.Parse(json.Output);
        var members = report.RootElement.GetProperty("members").EnumerateArray().ToList();
        Assert.Equal(["py-1", "py-2"], members.Select(m => m.GetProperty("identifier").GetString()));
        Assert.All(members, m => Assert.Equal("kazoo", m.GetProperty("kind").GetString()));
        Assert.All(members, m => Assert.Equal(2, m.GetProperty("holds").GetInt32()));
        var holders = report.RootElement.GetProperty("items").EnumerateArray()
            .Select(i => (i.GetProperty("item").GetString(), i.GetProperty("holder").GetString())).ToList();
        Assert.Equal([("a", "py-1"), ("b", "py-2"), ("c", "py-1"), ("d", "py-2")], holders);
        Assert.Empty(report.RootElement.GetProperty("stray_locks").EnumerateArray());
        output.WriteLine(table.Output);
        var lines = table.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.StartsWith($"party {path} on {server.ConnectString}, read ", lines[0], StringComparison.Ordinal);
        Assert.Contains("members (2):", lines);
        Assert.Contains("items (4, the folders under locks):", lines);
        Assert.Contains("problems: none", lines);
        Assert.Contains(lines, l => l.StartsWith("  a     py-1", StringComparison.Ordinal));
    }

    [Fact]
    public async Task WhatIf_AJoinAndALeave_ListTheItemsThatWouldMove()
    {
        var path = server.UniqueRoot("inspect-whatif");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var cs1 = group.Add(await Connect(server.ConnectString), "cs-1", Items);
        var cs2 = group.Add(await Connect(server.ConnectString), "cs-2", Items);
        await AssertShares([cs1, cs2], ["a", "c"], ["b", "d"]);

        var join = await Inspect(["--path", path, "--json", "--what-if", "join:cs-3"]);
        var leave = await Inspect(["--path", path, "--json", "--what-if", "leave:cs-2"]);
        var table = await Inspect(["--path", path, "--what-if", "join:cs-3"]);

        // cs-1, cs-2 and cs-3 over a, b, c, d: cs-1 gets a and d, cs-2 b, cs-3 c.
        Assert.Equal([("c", "cs-1", "cs-3"), ("d", "cs-2", "cs-1")], Moves(join));
        // cs-1 alone takes everything.
        Assert.Equal([("b", "cs-2", "cs-1"), ("d", "cs-2", "cs-1")], Moves(leave));
        output.WriteLine(table.Output);
        Assert.Contains("what if join:cs-3 (round-robin over 3 members): 2 of 4 items move", table.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadPartyInput_NoPartyAtThePath_OrLeavingANonMember_IsOneLineAndExit2()
    {
        var path = server.UniqueRoot("inspect-bad");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var cs1 = group.Add("cs-1", Items);
        await Eventually(() => cs1.Acquired, "cs-1 Acquired");

        var missing = await CliProcess.Run(["inspect", "--connect", server.ConnectString, "--path", path + "-none"], CommandTimeout);
        var leave = await CliProcess.Run(["inspect", "--connect", server.ConnectString, "--path", path, "--what-if", "leave:nobody"], CommandTimeout);

        Assert.True(missing.ExitCode == 2, missing.ToString());
        Assert.Equal([$"partitioner inspect: --path {path}-none holds no party: neither {path}-none/party nor {path}-none/locks exists"], WithoutConnecting(missing));
        Assert.True(leave.ExitCode == 2, leave.ToString());
        Assert.Equal([$"partitioner inspect: --what-if leave:nobody: 'nobody' is not a member of the party at {path}"], WithoutConnecting(leave));
    }

    [Fact]
    public async Task Watch_RedrawsWhenAMemberJoins()
    {
        var path = server.UniqueRoot("inspect-watch");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var cs1 = group.Add(await Connect(server.ConnectString), "cs-1", Items);
        await Eventually(() => cs1.Acquired, "cs-1 Acquired");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { WorkerProcess.CliPath(), "inspect", "--connect", server.ConnectString, "--path", path, "--watch" })
        {
            start.ArgumentList.Add(argument);
        }

        using var watcher = Process.Start(start)!;
        try
        {
            var screen = new List<string>();
            await ReadUntil(watcher, screen, l => l.StartsWith("problems:", StringComparison.Ordinal));
            Assert.Contains(screen, l => l.StartsWith("members (1):", StringComparison.Ordinal));

            var cs2 = group.Add(await Connect(server.ConnectString), "cs-2", Items);

            await ReadUntil(watcher, screen, l => l == "members (2):");
            Assert.Contains("--- changed", screen);
        }
        finally
        {
            watcher.Kill(entireProcessTree: true);
        }
    }

    private static async Task ReadUntil(Process process, List<string> lines, Func<string, bool> match)
    {
        using var limit = new CancellationTokenSource(WaitMax);
        while (await process.StandardOutput.ReadLineAsync(limit.Token) is { } line)
        {
            lines.Add(line.TrimEnd());
            if (match(line.TrimEnd()))
            {
                return;
            }
        }

        Assert.Fail($"inspect --watch ended before the line was printed; it printed:\n{string.Join('\n', lines)}\n{await process.StandardError.ReadToEndAsync()}");
    }

    private static List<(string?, string?, string?)> Moves(CliRun run)
    {
        using var report = JsonDocument.Parse(run.Output);
        return [.. report.RootElement.GetProperty("what_if").GetProperty("moves").EnumerateArray()
            .Select(m => (m.GetProperty("item").GetString(), m.GetProperty("from").GetString(), m.GetProperty("to").GetString()))];
    }

    private static string[] WithoutConnecting(CliRun run) =>
        [.. run.ErrorLines.Where(l => !l.StartsWith("partitioner inspect: connecting to ", StringComparison.Ordinal))];

    private async Task<CliRun> Inspect(string[] arguments)
    {
        var run = await CliProcess.Run(["inspect", "--connect", server.ConnectString, .. arguments], CommandTimeout);
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal([$"partitioner inspect: connecting to {server.ConnectString} (giving up after 10 s)"], run.ErrorLines);
        return run;
    }

    private ChildProcess StartKazooMember(string path, string identifier) =>
        _children.Add(ChildProcess.StartKazooMember(server.ConnectString, path, Items, identifier));
}
