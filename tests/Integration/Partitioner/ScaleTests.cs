using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Large numbers on a real server: a member's work and replies are bounded by its own share, never by how many
/// lock folders exist under <c>P/locks</c>, and 100,000 items move between members that restart. Each test has a
/// server of its own with the heap ZooKeeper's own scripts give a server (see <see cref="StartServer"/>), so that
/// neither leaves 100,000 folders in the shared server's small heap.
/// </summary>
[Collection(OwnServerCollection.Name)]
public sealed class ScaleTests
{
    /// <summary>A rebalance of 100,000 items moves 100,000 deletes and creates through the server: more than the usual wait.</summary>
    private static readonly TimeSpan SettleMax = TimeSpan.FromSeconds(90);

    /// <summary>The items the four members share unless <c>PARTITIONER_SCALE_ITEMS</c> names another count.</summary>
    private const int ScaleItemsDefault = 100_000;

    [Fact]
    public async Task Member_With100000FoldersLeftUnderLocks_AcquiresItsFewItemsWithoutReadingThem()
    {
        using var server = StartServer();
        await using var group = await MemberGroup.Connect(server.ConnectString, "/many-folders");
        // Left by an earlier, larger item set: listing them would be a reply of about 1.6 MB, over the 1 MiB frame limit.
        await CreateFolders(group.Shared, group.Path, Enumerable.Range(0, 100_000).Select(i => "old-item-" + i.ToString("D6", CultureInfo.InvariantCulture)));

        var member = group.Add("m", ["a", "b", "old-item-000007"]);

        await member.AssertAcquires();
        // The claim also needs a recent confirmed reply, which a server busy with 100,000 creates can delay.
        await Eventually(() => member.AcquiredItems.SequenceEqual(["a", "b", "old-item-000007"]), "the three items claimed");
        Assert.Equal(0, group.Shared.RepliesTooLargeCount);
    }

    [Fact]
    public async Task FourMembers_Share100000Items_AndEachRestartsOnce_TheSharesStayADisjointCover()
    {
        using var server = StartServer();
        var path = "/hundred-thousand";
        var count = ScaleItemCount();
        var items = Range(count);
        var clients = new ZooKeeperClient[4];
        var members = new SetPartitioner[4];
        try
        {
            for (int i = 0; i < 4; i++)
            {
                clients[i] = await Connect(server.ConnectString);
            }

            for (int i = 0; i < 4; i++)
            {
                members[i] = new SetPartitioner(clients[i], path, items, MemberOptions(i));
            }

            await SettleOrDescribe(server, members, items);
            await Eventually(() => members.All(m => m.AcquiredItems.Count == count / 4), $"every member holding {count / 4} items");

            // Each restarts once, one after another: the member finishes and its session closes; a new one joins on a
            // new session, finding every folder under P/locks and creating none of them again.
            for (int i = 0; i < 4; i++)
            {
                await members[i].FinishAsync().WaitAsync(WaitMax);
                await clients[i].CloseAsync();
                clients[i] = await Connect(server.ConnectString);
                members[i] = new SetPartitioner(clients[i], path, items, MemberOptions(i));
            }

            await SettleOrDescribe(server, members, items);
            Assert.All(clients, c => Assert.Equal(0, c.RepliesTooLargeCount));
        }
        finally
        {
            await Task.WhenAll(members.Where(m => m is not null).Select(m => m.DisposeAsync().AsTask())).WaitAsync(WaitMax);
            await Task.WhenAll(clients.Where(c => c is not null).Select(c => c.CloseAsync()));
        }
    }

    /// <summary>
    /// A server of the test's own with the heap ZooKeeper's own start script gives a server (1000 MB; Debian's package
    /// leaves the JVM's default). The other tests' servers get 128 MiB, which 100,000 folders with a lock node each do
    /// not fit: measured with a full GC every 3 s, this test's server holds 108 to 148 MB live between rebalances and
    /// 215 MB during one. A server out of heap stops answering for seconds at a time (every member's connection hits
    /// its read timeout and its requests are sent again), then exits with java.lang.OutOfMemoryError; the members
    /// are left in Release, reconnecting to a closed port, and a release never completes.
    /// </summary>
    private static ZooKeeperServerProcess StartServer() => ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings
    {
        TickTimeMs = 200,
        MinSessionTimeoutMs = 400,
        JavaOptions = "-Xmx1000m -XX:+UseSerialGC -XX:TieredStopAtLevel=1",
    });

    /// <summary>
    /// Member <paramref name="index"/>'s options, with the server's tickTime: without it a member allows half its session
    /// timeout for the leader to hear of it (5 s of the 10 s), and with a server whose answers take seconds while
    /// 100,000 creates and deletes go through, the confirmations that keep its claim come too late for the claim's 9 s.
    /// </summary>
    private static SetPartitionerOptions MemberOptions(int index)
    {
        var options = Options("m" + index.ToString(CultureInfo.InvariantCulture));
        options.ServerTickTime = TimeSpan.FromMilliseconds(200);
        return options;
    }

    /// <summary>The items the four members share: <see cref="ScaleItemsDefault"/>, or a positive multiple of four in <c>PARTITIONER_SCALE_ITEMS</c>.</summary>
    private static int ScaleItemCount()
    {
        var text = Environment.GetEnvironmentVariable("PARTITIONER_SCALE_ITEMS");
        if (string.IsNullOrEmpty(text))
        {
            return ScaleItemsDefault;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var count) || count <= 0 || count % 4 != 0)
        {
            throw new InvalidOperationException($"PARTITIONER_SCALE_ITEMS must be a positive multiple of four, not '{text}'.");
        }

        return count;
    }

    /// <summary>
    /// Settles the members, failing with each member's state, share size and failure reason if they do not settle,
    /// and with whether the server still runs, the first error in its log (such as java.lang.OutOfMemoryError) and the log's end.
    /// </summary>
    private static async Task SettleOrDescribe(ZooKeeperServerProcess server, IReadOnlyList<SetPartitioner> members, IReadOnlyCollection<string> items)
    {
        try
        {
            await Settle(members, items, SettleMax);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var states = string.Join("; ", members.Select(m => $"{m.Config.Identifier} {m.State} {m.AcquiredItems.Count} {m.FailureReason}"));
            var serverState = server.IsRunning ? "the server runs" : "the server has exited";
            var log = Path.Combine(server.DataDir, "server.log");
            var firstError = File.Exists(log) ? File.ReadLines(log).FirstOrDefault(line => line.Contains("Error:", StringComparison.Ordinal)) : null;
            throw new InvalidOperationException($"{e.Message} ({states}; {serverState}; its first error: {firstError ?? "none"}). Server log:\n{server.LogTail(15)}", e);
        }
    }

    /// <summary>Creates <c>P/locks/name</c> for every name, in multis of 1,000 creates, several in flight.</summary>
    private static async Task CreateFolders(ZooKeeperClient client, string path, IEnumerable<string> names)
    {
        await EnsurePath(client, path + "/locks");
        var batches = names.Chunk(1000).Select(batch => client.MultiAsync(
            [.. batch.Select(name => (Op)new CreateOp($"{path}/locks/{name}", ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe))]));
        await Task.WhenAll(batches).WaitAsync(SettleMax); // 100,000 creates: a loaded machine's server needs more than the usual wait
    }
}
