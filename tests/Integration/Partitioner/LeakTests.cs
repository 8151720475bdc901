using Partitioner.Integration.Infrastructure;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>A member that finishes mid-allocation on a client that lives on leaves no lock node behind.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class LeakTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Finish_WhileLockCreatesAreInFlightOnASharedClient_LeavesNoNodeAndThePeerGetsEveryItem()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("leak"));
        var items = Range(20_000);
        var prefix = NextPrefix();
        var quitter = group.Add("a", items, prefix);
        var peer = group.Add("b", items);

        // "0" sorts first, so it is in a's share; its node comes with the first batch, and about 80 more follow.
        await Eventually(async () => (await Contenders(group.Shared, group.Path, "0")).Any(c => c.StartsWith(prefix, StringComparison.Ordinal)), "a's first lock node");
        await quitter.FinishAsync().WaitAsync(WaitMax);

        await Settle([peer], items, TimeSpan.FromSeconds(60));
        Assert.Equal(20_000, peer.AcquiredItems.Count);
    }
}
