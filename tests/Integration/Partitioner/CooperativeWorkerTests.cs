using System.Text.Json;
using Partitioner.Integration.Infrastructure;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// <c>partitioner worker --rebalance cooperative</c> on a real server: it prints each item's assignment, revocation and
/// loss with its token, and a join revokes only the items that move. Items a, b and c go round-robin by sorted
/// identifier: alone, w1 holds all three; with w2, w1 keeps a and c and b moves to w2.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class CooperativeWorkerTests(ZooKeeperServerFixture server) : IDisposable
{
    private static readonly TimeSpan MemberSession = TimeSpan.FromSeconds(6);
    private readonly ChildProcesses _children = new();

    [Fact]
    public async Task CooperativeWorkers_PrintAssignedRevokedAndLostWithTokens_AndAJoinRevokesOnlyTheMovingItem()
    {
        var items = Range(3);
        var path = server.UniqueRoot("cooperative-worker");

        // Given a cooperative worker that took every item.
        var first = Start(path, items, "w1");
        foreach (var item in items)
        {
            await first.WaitForLine(line => Is(line, "assigned", item), $"w1 assigned {item}");
        }

        var tokens = items.ToDictionary(item => item, item => Token(Find(first, "assigned", item)), StringComparer.Ordinal);

        // When a second joins.
        var second = Start(path, items, "w2");
        var taken = await second.WaitForLine(line => Is(line, "assigned", items[1]), $"w2 assigned {items[1]}");

        // Then w1 revoked only the moving item, with its token, and w2 took it with a higher one; w1's other items
        // were never revoked or lost, and it never left Acquired.
        var revoked = Find(first, "revoked", items[1]);
        Assert.Equal(tokens[items[1]], Token(revoked));
        Assert.True(Token(taken) > tokens[items[1]], $"w2's token {Token(taken)} is not above w1's {tokens[items[1]]}");
        Assert.DoesNotContain(first.Lines, line => (Is(line, "revoked") || Is(line, "lost")) && line.GetProperty("item").GetString() != items[1]);
        Assert.Equal(["ACQUIRED"], first.Lines.Where(line => Is(line, "state")).Select(line => line.GetProperty("state").GetString()).Distinct());
        Assert.DoesNotContain(second.Lines, line => Is(line, "assigned") && line.GetProperty("item").GetString() != items[1]);

        // And when w1 finishes, it loses what it still held, with the tokens it was assigned.
        first.Send("finish");
        await first.WaitForExit("w1 finishes");
        Assert.Equal(tokens[items[0]], Token(Find(first, "lost", items[0])));
        Assert.Equal(tokens[items[2]], Token(Find(first, "lost", items[2])));
        Assert.Equal(0, first.ExitCode);
    }

    public void Dispose() => _children.Dispose();

    private ChildProcess Start(string path, System.Collections.Immutable.ImmutableArray<string> items, string identifier) =>
        _children.Add(WorkerProcess.Start(server.ConnectString, path, items, identifier, NextPrefix(), MemberSession, "--rebalance", "cooperative"));

    private static bool Is(JsonElement line, string kind, string? item = null) =>
        line.TryGetProperty("event", out var e) && e.GetString() == kind && (item is null || line.GetProperty("item").GetString() == item);

    private static JsonElement Find(ChildProcess worker, string kind, string item) =>
        worker.Lines.Single(line => Is(line, kind, item));

    private static long Token(JsonElement line) => line.GetProperty("token").GetInt64();
}
