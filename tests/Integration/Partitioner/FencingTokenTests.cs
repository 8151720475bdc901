using System.Collections.Immutable;
using System.Text.Json;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Fencing tokens on a real server: each is the creation zxid of the lock node that makes its member the owner, the
/// worker prints them, and they strictly increase as the items change owner through a killed worker process and
/// members that leave and start again on new sessions.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class FencingTokenTests(ZooKeeperServerFixture server) : IDisposable
{
    private static readonly TimeSpan MemberSession = TimeSpan.FromSeconds(2);
    private readonly ChildProcesses _children = new();

    [Fact]
    public async Task Tokens_ThroughAKilledWorkerAndRestartedMembers_StrictlyIncreaseAndAreTheLockNodesCreationZxids()
    {
        var items = Range(3);
        var path = server.UniqueRoot("fencing");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);

        // A worker process takes every item and prints each with its token: its lock node's creation zxid.
        var worker = WorkerProcess.Start(server.ConnectString, path, items, "w", NextPrefix(), MemberSession);
        _children.Add(worker);
        var acquired = await worker.WaitForLine(
            line => line.TryGetProperty("event", out var e) && e.GetString() == "state" && line.GetProperty("owned").GetArrayLength() == items.Length,
            "the worker Acquired with every item and its token");
        var byWorker = Printed(acquired);
        await AssertTokensAreHoldersCreationZxids(group.Shared, path, byWorker);

        // When the worker is killed, a member on a new session takes the items once the old session expires.
        worker.Kill();
        var first = group.Add(await Connect(server.ConnectString, MemberSession), "a", items);
        await Settle([first], items);
        var byFirst = await Tokens(first, items.Length);
        await AssertTokensAreHoldersCreationZxids(group.Shared, path, byFirst);

        // When it releases and takes its set again on the same session, then leaves for a member started anew.
        await first.ReleaseSetAsync();
        var byFirstAgain = await Tokens(first, items.Length);
        await first.FinishAsync();
        var second = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        await Settle([second], items);
        var bySecond = await Tokens(second, items.Length);
        await AssertTokensAreHoldersCreationZxids(group.Shared, path, bySecond);

        // Then every item's token went up at every change of owner.
        foreach (var item in items)
        {
            long[] history = [byWorker[item], byFirst[item], byFirstAgain[item], bySecond[item]];
            Assert.True(history.Zip(history.Skip(1)).All(pair => pair.First < pair.Second), $"item {item}: tokens {string.Join(" < ", history)}");
        }
    }

    public void Dispose() => _children.Dispose();

    private static Dictionary<string, long> Printed(JsonElement line) =>
        line.GetProperty("owned").EnumerateArray().ToDictionary(o => o.GetProperty("item").GetString()!, o => o.GetProperty("token").GetInt64(), StringComparer.Ordinal);

    /// <summary>
    /// The member's items and tokens, read once it claims all <paramref name="count"/> of them: a claim lapses for a
    /// while when a loaded machine delays the syncs that prove the member's 2 s session alive, so a single later
    /// read could find it empty.
    /// </summary>
    private static async Task<Dictionary<string, long>> Tokens(SetPartitioner member, int count)
    {
        IReadOnlyList<OwnedItem> owned = [];
        await Eventually(() => (owned = member.OwnedItems).Count == count, $"{member.Config.Identifier} owns every item");
        return owned.ToDictionary(o => o.Name, o => o.FencingToken, StringComparer.Ordinal);
    }

    /// <summary>Each token equals the creation zxid, read from the server, of the item's lowest lock node.</summary>
    private static async Task AssertTokensAreHoldersCreationZxids(ZooKeeperClient client, string path, IReadOnlyDictionary<string, long> tokens)
    {
        foreach (var (item, token) in tokens)
        {
            var holder = (await Contenders(client, path, item))[0];
            var stat = await client.ExistsAsync($"{path}/locks/{item}/{holder}");
            Assert.Equal(stat!.Czxid, token);
        }
    }
}
