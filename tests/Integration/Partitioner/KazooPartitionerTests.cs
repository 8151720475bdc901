using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// kazoo's eight <c>test_partitioner.py</c> cases on a real server: one shared client, items <c>range(size)</c>,
/// a time boundary of 0.2 s. kazoo's SlowLockMock delays have no counterpart over real locks, so the two race
/// cases hold the contended lock with a foreign contender node instead, which is what a slow lock looks like.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class KazooPartitionerTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task PartyOfOne_WithDefaultIdentifier_AcquiresEveryItem()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-one"));
        var member = group.Add(identifier: null, Range(3));

        await member.AssertAcquires();

        Assert.Equal(["0", "1", "2"], member.AcquiredItems);
        await member.FinishAsync();
        Assert.True(member.Failed);
        Assert.Empty(await PartyMembers(group.Shared, group.Path));
    }

    [Fact]
    public async Task PartyOfTwo_WhenOneFinishes_TheOtherIsToldToRelease()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-two"));
        var p0 = group.Add("0", Range(2));
        var p1 = group.Add("1", Range(2));
        await AssertShares([p0, p1], ["0"], ["1"]);

        await p0.FinishAsync();

        await Eventually(() => p1.Release, "p1 in Release after p0 left");
        await p1.FinishAsync();
        Assert.True(p1.Failed);
    }

    [Fact]
    public async Task PartyExpansion_WhenAThirdJoins_TheFirstTwoReleaseAndAllThreeShare()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-expand"));
        var p0 = group.Add("0", Range(3));
        var p1 = group.Add("1", Range(3));
        await AssertShares([p0, p1], ["0", "2"], ["1"]);
        var changedBefore = (p0.StateId, p1.StateId);

        var p2 = group.Add("2", Range(3));

        await Eventually(() => p0.Release && p1.Release, "p0 and p1 in Release after p2 joined");
        Assert.True(p0.StateId > changedBefore.Item1 && p1.StateId > changedBefore.Item2, "a state change was signalled to both");
        await Task.WhenAll(p0.ReleaseSetAsync(), p1.ReleaseSetAsync()).WaitAsync(WaitMax);
        await AssertShares([p0, p1, p2], ["0"], ["1"], ["2"]);
    }

    [Fact]
    public async Task MoreMembersThanItems_BothAcquire_OneWithNothing()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-more"));
        var p0 = group.Add("0", Range(1));
        var p1 = group.Add("1", Range(1));

        await AssertShares([p0, p1], ["0"], []);
    }

    [Fact]
    public async Task PartySessionFailure_WhenTheSessionEnds_TheMemberFails()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-fail"));
        var ownClient = await Connect(server.ConnectString);
        var member = group.Add(ownClient, "0", Range(3));
        await member.AssertAcquires();

        await ownClient.CloseAsync();
        await Eventually(() => member.Failed, "member in Failure after its session ended");
        await member.ReleaseSetAsync().WaitAsync(WaitMax);

        Assert.True(member.Failed);
        Assert.Empty(member.AcquiredItems);
        Assert.Empty(await PartyMembers(group.Shared, group.Path));
    }

    [Fact]
    public async Task ConnectionLoss_EveryMemberReleases_ThenReacquiresAndTakesInANewcomer()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var group = await MemberGroup.Connect(proxy.ConnectString, server.UniqueRoot("kazoo-loss"));
        var p0 = group.Add("0", Range(3));
        var p1 = group.Add("1", Range(3));
        await AssertShares([p0, p1], ["0", "2"], ["1"]);

        proxy.CutAll();

        await Eventually(() => p0.Release && p1.Release, "both in Release after the connection dropped");
        await Eventually(() => group.Shared.State == ZooKeeperState.Connected, "the client reconnected");
        await Task.WhenAll(p0.ReleaseSetAsync(), p1.ReleaseSetAsync()).WaitAsync(WaitMax);
        await AssertShares([p0, p1], ["0", "2"], ["1"]);

        var p2 = group.Add("2", Range(3));
        await Eventually(() => p0.Release && p1.Release, "p0 and p1 in Release after p2 joined");
        await Task.WhenAll(p0.ReleaseSetAsync(), p1.ReleaseSetAsync()).WaitAsync(WaitMax);
        await AssertShares([p0, p1, p2], ["0"], ["1"], ["2"]);
    }

    [Fact]
    public async Task RaceNewMemberDuringTheLock_WhenTheWaitedLockIsFreedAsTheNewcomerJoins_NoDeadlock()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-race1"));
        var blocker = await AddContender(group.Shared, group.Path, "1", NextPrefix());
        var p0Prefix = NextPrefix();
        var p0 = group.Add("0", Range(2), p0Prefix);
        await Eventually(async () => (await Contenders(group.Shared, group.Path, "1")).Any(c => c.StartsWith(p0Prefix, StringComparison.Ordinal)),
            "p0 holding lock 0 and queued on lock 1");

        var p1 = group.Add("1", Range(2));
        await group.Shared.DeleteAsync(blocker);

        await AssertShares([p0, p1], ["0"], ["1"]);
    }

    [Fact]
    public async Task RaceNewMemberStealsTheLock_TheWaiterStepsBackAtOnce_AndTheNewcomerTakesIt()
    {
        await using var group = await MemberGroup.Connect(server.ConnectString, server.UniqueRoot("kazoo-race2"));
        var blocker = await AddContender(group.Shared, group.Path, "1", NextPrefix());
        var p0Prefix = NextPrefix();
        var p0 = group.Add("0", Range(2), p0Prefix);
        await Eventually(async () => (await Contenders(group.Shared, group.Path, "1")).Any(c => c.StartsWith(p0Prefix, StringComparison.Ordinal)),
            "p0 holding lock 0 and queued on lock 1");

        var p1Prefix = NextPrefix();
        var p1 = group.Add("1", Range(2), p1Prefix);

        // p0 gives up its place on lock 1 without waiting for the blocker, and owns its new share.
        await p0.AssertAcquires();
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.DoesNotContain(await Contenders(group.Shared, group.Path, "1"), c => c.StartsWith(p0Prefix, StringComparison.Ordinal));
        Assert.False(p1.Acquired);
        await group.Shared.DeleteAsync(blocker);
        await AssertShares([p0, p1], ["0"], ["1"]);
        Assert.StartsWith(p1Prefix, (await Contenders(group.Shared, group.Path, "1"))[0], StringComparison.Ordinal);
    }
}
