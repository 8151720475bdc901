using System.Collections.Concurrent;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Where a member over a real client raises its events: never on the client's dispatcher, which delivers every reply
/// of that client. A handler may wait for a request of the same client, as an application's often does.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class HandlerThreadTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Handlers_ThatWaitForARequestOfTheMembersOwnClient_GetTheirAnswer_AndTheMemberGoesOn()
    {
        // Disposed with a limit, so that a member stuck on the dispatcher fails the test instead of hanging it.
        var client = await Connect(server.ConnectString);
        var path = server.UniqueRoot("handler-waits");
        var heard = new ConcurrentQueue<string>();
        var member = new SetPartitioner(client, path, Range(2), Options("m"));
        try
        {
            await HandlersBlockOnTheClient(client, member, path, heard);
        }
        finally
        {
            await member.DisposeAsync().AsTask().WaitAsync(WaitMax);
            await client.DisposeAsync().AsTask().WaitAsync(WaitMax);
        }
    }

    private static async Task HandlersBlockOnTheClient(global::ZooKeeper.Client.ZooKeeperClient client, SetPartitioner member, string path, ConcurrentQueue<string> heard)
    {

        // Each handler blocks on a read of the same client: a decision on the client's dispatcher would wait for
        // an answer queued behind itself.
        member.StateChanged += (_, e) =>
        {
            var party = client.ExistsAsync($"{path}/party").GetAwaiter().GetResult();
            heard.Enqueue($"{e.NewState}, party {(party is null ? "missing" : "read")}");
        };
        member.ItemOwnershipChanged += (_, e) =>
        {
            var folder = client.ExistsAsync($"{path}/locks/{e.Item}").GetAwaiter().GetResult();
            heard.Enqueue($"{e.Item} {e.Change}, folder {(folder is null ? "missing" : "read")}");
        };

        await member.AssertAcquires();
        await Eventually(() => heard.Count >= 3, "both handlers answered after the allocation");
        await member.FinishAsync().WaitAsync(WaitMax);

        Assert.Equal(["Acquired, party read", "0 Assigned, folder read", "1 Assigned, folder read"], heard.Take(3));
        Assert.Equal(PartitionState.Failure, member.State);
    }
}
