using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// kazoo's party case (<c>test_party.py</c>), its lock cases (<c>test_lock.py</c>: a held lock, predecessor
/// order, foreign children) and the duplicate-identifier rule, on a real server.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class PartyAndLockTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Party_FiveMembersJoinThenLeave_TheMembersSeenMatchAfterEachStep()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("party"));
        var items = Range(7);
        var ids = new[] { "p0", "p1", "p2", "p3", "p4" };
        foreach (var id in ids)
        {
            group.Add(id, items);
            var joined = group.Members.Select(m => m.Config.Identifier).Order(StringComparer.Ordinal).ToArray();
            Assert.Equal(joined, await PartyMembers(group.Shared, group.Path));
            await Settle(group.Members, items);
        }

        var live = group.Members.ToList();
        while (live.Count > 0)
        {
            await live[0].FinishAsync().WaitAsync(WaitMax);
            live.RemoveAt(0);
            Assert.Equal(live.Select(m => m.Config.Identifier).ToArray(), await PartyMembers(group.Shared, group.Path));
            if (live.Count > 0)
            {
                await Settle(live, items);
            }
        }
    }

    [Fact]
    public async Task Lock_WhenAnItemIsHeldElsewhere_WaitsWithOneContenderNode_AndTakesItOnceFreed()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("lock-held"));
        var holder = await AddContender(group.Shared, group.Path, "0", NextPrefix());
        var prefix = NextPrefix();
        var member = group.Add("m", Range(2), prefix);

        // Longer than the reaction time: kazoo would have timed out, deleted its node and queued again by now.
        Assert.False(await member.WaitForAcquireAsync(TimeSpan.FromSeconds(1.5)));
        var queued = await Contenders(group.Shared, group.Path, "0");
        Assert.Equal(2, queued.Length);
        Assert.Equal(holder, $"{group.Path}/locks/0/{queued[0]}");
        Assert.StartsWith(prefix, queued[1], StringComparison.Ordinal);

        await group.Shared.DeleteAsync(holder);

        await member.AssertAcquires();
        Assert.Equal(["0", "1"], member.AcquiredItems);
        Assert.Equal<string>([queued[1]], await Contenders(group.Shared, group.Path, "0"));
    }

    [Fact]
    public async Task Lock_WaitsForEveryLowerContender_NotOnlyTheFirst()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("lock-order"));
        var first = await AddContender(group.Shared, group.Path, "0", NextPrefix());
        var second = await AddContender(group.Shared, group.Path, "0", NextPrefix());
        var member = group.Add("m", Range(1));
        await Eventually(async () => (await Contenders(group.Shared, group.Path, "0")).Length == 3, "the member queued third");

        await group.Shared.DeleteAsync(first);
        Assert.False(await member.WaitForAcquireAsync(TimeSpan.FromSeconds(1)), "acquired while its predecessor still held its place");

        await group.Shared.DeleteAsync(second);
        await member.AssertAcquires();
        Assert.Equal(["0"], member.AcquiredItems);
    }

    [Fact]
    public async Task Lock_IgnoresChildrenThatAreNotKazooContenders()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("lock-foreign"));
        await EnsurePath(group.Shared, $"{group.Path}/locks/0");
        // A go-zookeeper style lock node and a plain child: kazoo does not count either as a contender.
        await group.Shared.CreateAsync($"{group.Path}/locks/0/_c_{NextPrefix()}-lock-", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential, Acl.OpenUnsafe);
        await group.Shared.CreateAsync($"{group.Path}/locks/0/notes", ReadOnlyMemory<byte>.Empty, CreateMode.Ephemeral, Acl.OpenUnsafe);

        var member = group.Add("m", Range(1));

        await member.AssertAcquires();
        Assert.Equal(["0"], member.AcquiredItems);
    }

    [Fact]
    public async Task DuplicateIdentifier_TheLowerNodeIsActive_TheOtherStandsByWithNothing_AndTakesOverWhenItLeaves()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("dup-id"));
        var items = Range(4);
        var active = group.Add("dup", items, prefix: new string('1', 32));
        var standby = group.Add("dup", items, prefix: new string('e', 32));
        var other = group.Add("x", items);

        await Settle([active, standby, other], items);
        Assert.Empty(standby.AcquiredItems);
        Assert.Equal(["0", "2"], active.AcquiredItems);
        Assert.Equal(["1", "3"], other.AcquiredItems);

        await active.FinishAsync().WaitAsync(WaitMax);

        await Settle([standby, other], items);
        Assert.Equal(["0", "2"], standby.AcquiredItems);
    }
}
