using System.Collections.Immutable;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioner.Core;
using Partitioner.Hosting;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using static Partitioner.Integration.Hosting.HostedItemWorkKit;
using static Partitioner.Integration.Hosting.HostedMemberKit;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Hosting;

/// <summary>Hosted members with per-item work (AddSetPartitionerItems) against the real server, in the cooperative mode.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class HostedItemWorkTests(ZooKeeperServerFixture server)
{
    private static readonly ImmutableArray<string> Items = [.. Enumerable.Range(0, 12).Select(i => $"item-{i:00}")];

    [Fact]
    public async Task CooperativeHostedMembers_ShareTheItems_AndAThirdJoining_StopsOnlyTheItemsTheStickyFunctionMoves()
    {
        var path = server.UniqueRoot("hosted-coop");
        var (a, b, c) = (new ItemWorkLog(), new ItemWorkLog(), new ItemWorkLog());
        using var hostA = BuildItems(Cooperative(path, "coop-a"), a);
        using var hostB = BuildItems(Cooperative(path, "coop-b"), b);
        using var hostC = BuildItems(Cooperative(path, "coop-c"), c);
        try
        {
            await Task.WhenAll(hostA.StartAsync(), hostB.StartAsync());
            var pair = new[] { ("coop-a", a), ("coop-b", b) };
            await Eventually(() => RunsTheStickyShares(pair), "the two hosted members to run the sticky function's shares, one work per item");
            var member = hostA.Services.GetRequiredService<SetPartitionerService>().Partitioner!;
            Assert.Equal(RebalanceMode.Cooperative, member.Config.Rebalance);
            Assert.Equal("sticky", member.Config.PartitionFunctionName);

            // What ran before the join: the work instance of each item, and how many each host had made for it.
            var before = pair.SelectMany(m => m.Item2.Running().Select(r => (m.Item1, m.Item2, r.Key, r.Value))).ToList();
            Assert.Equal(Items.Length, before.Count);
            var startsBefore = before.ToDictionary(x => x.Key, x => x.Item2.StartsOf(x.Key), StringComparer.Ordinal);

            await hostC.StartAsync();
            var trio = new[] { ("coop-a", a), ("coop-b", b), ("coop-c", c) };
            await Eventually(() => RunsTheStickyShares(trio), "the three hosted members to run the sticky function's shares");

            // The sticky function moves a few items, not all of them: what follows tells staying from moving items.
            var moved = Items.Where(i => Owner(i, ["coop-a", "coop-b"]) != Owner(i, ["coop-a", "coop-b", "coop-c"])).ToHashSet(StringComparer.Ordinal);
            Assert.InRange(moved.Count, 1, Items.Length - 1);
            foreach (var (identifier, log, item, work) in before)
            {
                if (moved.Contains(item))
                {
                    Assert.True(work.StopReason == ItemStopReason.Revoked && work.Returned, $"{identifier}'s work on the moved {item} was not revoked ({work.StopReason})");
                    Assert.True(work.DisposedAfterReturn, $"{identifier}'s scope of the moved {item} was not disposed after its work returned");
                }
                else
                {
                    Assert.True(work.StopReason == ItemStopReason.None && !work.Returned, $"{identifier}'s work on the staying {item} was stopped ({work.StopReason})");
                    Assert.False(work.Disposed, $"{identifier}'s scope of the staying {item} was disposed while its work ran");
                    Assert.Equal(startsBefore[item], log.StartsOf(item)); // not stopped and started again
                }
            }
        }
        finally
        {
            await Task.WhenAll(Stop(hostC), Stop(hostB), Stop(hostA));
        }

        // On the stop every remaining work is told the loop finishes, and each scope is disposed after its work.
        Assert.All(a.Instances.Concat(b.Instances).Concat(c.Instances), w => Assert.True(w.Returned && w.DisposedAfterReturn, $"the work on {w.Item} was not returned and then disposed"));
    }

    [Fact]
    public async Task EagerHostedMember_WithPerItemWork_StopsEveryItemOnAJoin_AndRunsItsNewShareInNewScopes()
    {
        // Per-item work runs in the default, eager, mode too: a join revokes every item, then each member takes its share.
        var path = server.UniqueRoot("hosted-eager-items");
        var (a, b) = (new ItemWorkLog(), new ItemWorkLog());
        using var hostA = BuildItems(Settings(server.ConnectString, path, Items, "eager-a"), a);
        using var hostB = BuildItems(Settings(server.ConnectString, path, Items, "eager-b"), b);
        try
        {
            await hostA.StartAsync();
            await Eventually(() => a.Running().Count == Items.Length, "the lone member to run one work per item");
            var alone = a.Running().Values.ToList();
            await hostB.StartAsync();
            await Eventually(() => a.Running().Count + b.Running().Count == Items.Length && b.Running().Count > 0, "the two members to share the items");
            Assert.All(alone, w => Assert.True(
                w.StopReason == ItemStopReason.Revoked && w.DisposedAfterReturn, $"the lone member's work on {w.Item} was not revoked and disposed ({w.StopReason})"));
            Assert.Empty(a.Running().Keys.Intersect(b.Running().Keys));
            Assert.All(a.Running().Values, w => Assert.DoesNotContain(w, alone));
        }
        finally
        {
            await Task.WhenAll(Stop(hostB), Stop(hostA));
        }
    }

    private Dictionary<string, string?> Cooperative(string path, string identifier)
    {
        var settings = Settings(server.ConnectString, path, Items, identifier);
        settings[$"{Section}:Rebalance"] = "Cooperative";
        settings[$"{Section}:PartitionFunction"] = "sticky";
        return settings;
    }

    /// <summary>The expected owner, from the library's sticky function (tested on its own in tests/Core).</summary>
    private static string Owner(string item, ImmutableArray<string> members) =>
        members.Single(m => PartitionFunctions.Sticky(m, members, Items).Contains(item));

    /// <summary>True when each member runs exactly one work per item of its sticky share, and nothing else.</summary>
    private static bool RunsTheStickyShares(IReadOnlyList<(string Identifier, ItemWorkLog Log)> members)
    {
        var identifiers = members.Select(m => m.Identifier).ToImmutableArray();
        return members.All(m =>
        {
            var running = m.Log.Instances.Where(w => w.Started && !w.Returned).Select(w => w.Item!).Order(StringComparer.Ordinal).ToList();
            return running.SequenceEqual(PartitionFunctions.Sticky(m.Identifier, identifiers, Items).Order(StringComparer.Ordinal));
        });
    }

    private static async Task Stop(IHost host)
    {
        using var shutdown = new CancellationTokenSource(ShutdownTimeout);
        await host.StopAsync(shutdown.Token);
    }
}
