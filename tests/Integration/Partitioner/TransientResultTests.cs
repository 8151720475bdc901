using ZooKeeper.Client;
using Partitioner.Integration.Infrastructure;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Results a server under strain gives (ThrottledOp, OperationTimeout, SessionMoved, a ConnectionLoss inside a
/// multiRead), sent by a proxy in front of a real server in place of the server's own answer: the member sends
/// the work again after a back-off and acquires, instead of failing.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class TransientResultTests(ZooKeeperServerFixture server)
{
    private const int GetChildren = 8;
    private const int Multi = 14;
    private const int GetChildren2 = 12;
    private const int MultiRead = 22;

    /// <summary>The first request with one of <paramref name="ops"/> gets <paramref name="reply"/>; the rest pass through.</summary>
    private static Func<InjectedRequest, byte[]?> Once(Func<InjectedRequest, byte[]> reply, Func<InjectedRequest, bool> match)
    {
        var done = 0;
        return request => match(request) && Interlocked.Exchange(ref done, 1) == 0 ? reply(request) : null;
    }

    [Theory]
    [InlineData(-127, Multi)] // ThrottledOp on the multi that creates the folders with their lock nodes
    [InlineData(-7, Multi)] // OperationTimeout on it
    [InlineData(-118, Multi)] // SessionMoved on it
    [InlineData(-127, GetChildren2)] // ThrottledOp on the party read
    [InlineData(-118, GetChildren2)] // SessionMoved on the party read
    public async Task TransientCode_FromTheServer_IsRetriedAndTheMemberAcquires(int code, int op)
    {
        await using var proxy = new ReplyInjectingProxy(server.Port, Once(
            _ => ReplyInjectingProxy.Error(code), r => r.Op == op || (op == GetChildren2 && r.Op == GetChildren)));
        await using var group = await MemberGroup.Connect(proxy.ConnectString, server.UniqueRoot("transient"));

        var member = group.Add("a", Range(3));

        await member.AssertAcquires();
        Assert.Equal(Range(3), member.AcquiredItems);
        Assert.Equal(1, proxy.InjectedCount);
    }

    [Fact]
    public async Task ConnectionLoss_InsideTheMultiReadOfLockFolders_IsRetriedAndTheMemberAcquires()
    {
        // Lock nodes created in a multi take their token from the multi's zxid, so a first allocation reads no
        // stats; folders that already exist make the member read them in a multiRead to judge its locks.
        await using var proxy = new ReplyInjectingProxy(server.Port, Once(
            r => ReplyInjectingProxy.MultiReadOfErrors(r.MultiReadOpCount(), -4),
            r => r.Op == MultiRead));
        await using var group = await MemberGroup.Connect(proxy.ConnectString, server.UniqueRoot("transient-multiread"));
        foreach (var folder in new[] { group.Path, $"{group.Path}/locks" }.Concat(Range(3).Select(item => $"{group.Path}/locks/{item}")))
        {
            await group.Shared.CreateAsync(folder, default, CreateMode.Persistent, Acl.OpenUnsafe);
        }

        var member = group.Add("a", Range(3));

        await member.AssertAcquires();
        Assert.Equal(Range(3), member.AcquiredItems);
        Assert.Equal(1, proxy.InjectedCount);
    }
}
