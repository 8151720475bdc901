using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Issue 8's first case on a real three-server ensemble (tickTime 500 ms, syncLimit 10): member a is connected
/// only to server 1, a follower whose quorum connections to the other servers go through test proxies; member b
/// and the observer are on servers 2 and 3. Blackholing the proxies cuts server 1 from its leader: it keeps
/// answering a's pings (for syncLimit × tickTime = 5 s) while the leader hears nothing of a's session, expires
/// it after the 2 s session timeout, and b takes a's items through the leader. Before leader-confirmed
/// liveness a kept claiming its items for about 2.5 s after b had them; now it claims only what syncs the
/// leader answered vouch for, so the observer sees no item owned twice. In both rebalance modes (cooperative members
/// run per-item work, which must not overlap either).
/// </summary>
public sealed class FollowerCutTests
{
    private static readonly TimeSpan MemberSession = TimeSpan.FromSeconds(2);

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task FollowerCutFromTheLeader_ItsMemberStopsClaimingBeforeTheOtherTakesItsItems(RebalanceMode mode)
    {
        var proxies = new List<TcpProxy>();
        using var ensemble = ZooKeeperEnsemble.Start(3, tickTimeMs: 500, peerPortSeenByFirst: peer =>
        {
            var proxy = TcpProxy.Start(peer);
            proxies.Add(proxy);
            return proxy.Port;
        });
        try
        {
            Assert.Equal("follower", ensemble.Servers[0].Mode());
            var others = string.Join(',', ensemble.Servers.Skip(1).Select(s => s.ConnectString));
            var items = Range(6);
            var path = "/follower-cut";
            await using var group = await MemberGroup.Connect(others, path, mode);
            await using var observer = OwnershipObserver.Start(others, path, items);

            // The library's defaults: no tickTime given (half the session timeout is assumed, 1 s here).
            var cutClient = await Connect(ensemble.Servers[0].ConnectString, MemberSession);
            var a = group.Add(cutClient, "a", items);
            var b = group.Add(await Connect(others, MemberSession), "b", items);
            observer.Watch(a);
            observer.Watch(b);
            await group.Settle([a, b], items);

            foreach (var proxy in proxies)
            {
                proxy.Blackhole(true);
            }

            // b ends up with every item through the leader, while a's follower still answers a for a while.
            await group.Settle([b], items);
            Assert.Empty(a.AcquiredItems);
            await Task.Delay(TimeSpan.FromSeconds(3)); // past the follower's syncLimit, while it gives up on its leader
            Assert.Empty(a.AcquiredItems);
            await observer.AssertNoViolations();
            group.Ledger.AssertNoOverlap();
        }
        finally
        {
            foreach (var proxy in proxies)
            {
                await proxy.DisposeAsync();
            }
        }
    }
}
