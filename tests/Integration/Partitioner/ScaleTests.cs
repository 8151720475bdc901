using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Large numbers on a real server: a member's work and replies are bounded by its own share, never by how many
/// lock folders exist under <c>P/locks</c>, and 20,000 items move between members that restart.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class ScaleTests(ZooKeeperServerFixture server)
{
    /// <summary>A rebalance of 20,000 items moves 20,000 deletes and creates through the server: more than the usual wait.</summary>
    private static readonly TimeSpan SettleMax = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Member_With100000FoldersLeftUnderLocks_AcquiresItsFewItemsWithoutReadingThem()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("many-folders"));
        // Left by an earlier, larger item set: listing them would be a reply of about 1.6 MB, over the 1 MiB frame limit.
        await CreateFolders(group.Shared, group.Path, Enumerable.Range(0, 100_000).Select(i => "old-item-" + i.ToString("D6", CultureInfo.InvariantCulture)));

        var member = group.Add("m", ["a", "b", "old-item-000007"]);

        await member.AssertAcquires();
        // The claim also needs a recent confirmed reply, which a server busy with 100,000 creates can delay.
        await Eventually(() => member.AcquiredItems.SequenceEqual(["a", "b", "old-item-000007"]), "the three items claimed");
        Assert.Equal(0, group.Shared.RepliesTooLargeCount);
    }

    [Fact]
    public async Task FourMembers_Share20000Items_AndEachRestartsOnce_TheSharesStayADisjointCover()
    {
        var path = server.UniqueRoot("hundred-thousand");
        var items = Range(20_000);
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
                members[i] = new SetPartitioner(clients[i], path, items, Options("m" + i.ToString(CultureInfo.InvariantCulture)));
            }

            await SettleOrDescribe(members, items);
            Assert.All(members, m => Assert.Equal(5_000, m.AcquiredItems.Count));

            // Each restarts once, one after another: the member finishes and its session closes; a new one joins on a
            // new session, finding 20,000 folders under P/locks and creating none of them again.
            for (int i = 0; i < 4; i++)
            {
                await members[i].FinishAsync().WaitAsync(WaitMax);
                await clients[i].CloseAsync();
                clients[i] = await Connect(server.ConnectString);
                members[i] = new SetPartitioner(clients[i], path, items, Options("m" + i.ToString(CultureInfo.InvariantCulture)));
            }

            await SettleOrDescribe(members, items);
            Assert.All(clients, c => Assert.Equal(0, c.RepliesTooLargeCount));
        }
        finally
        {
            await Task.WhenAll(members.Where(m => m is not null).Select(m => m.DisposeAsync().AsTask())).WaitAsync(WaitMax);
            await Task.WhenAll(clients.Where(c => c is not null).Select(c => c.CloseAsync()));
        }
    }

    /// <summary>Settles the members, failing with each member's state, share size and failure reason if they do not settle.</summary>
    private static async Task SettleOrDescribe(IReadOnlyList<SetPartitioner> members, IReadOnlyCollection<string> items)
    {
        try
        {
            await Settle(members, items, SettleMax);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            var states = string.Join("; ", members.Select(m => $"{m.Config.Identifier} {m.State} {m.AcquiredItems.Count} {m.FailureReason}"));
            throw new InvalidOperationException($"{e.Message} ({states})", e);
        }
    }

    /// <summary>Creates <c>P/locks/name</c> for every name, in multis of 1,000 creates, several in flight.</summary>
    private static async Task CreateFolders(ZooKeeperClient client, string path, IEnumerable<string> names)
    {
        await EnsurePath(client, path + "/locks");
        var batches = names.Chunk(1000).Select(batch => client.MultiAsync(
            [.. batch.Select(name => (Op)new CreateOp($"{path}/locks/{name}", ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe))]));
        await Task.WhenAll(batches).WaitAsync(WaitMax);
    }
}
