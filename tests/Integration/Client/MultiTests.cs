using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

[Collection(SharedServerCollection.Name)]
public sealed class MultiTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Multi_WhenEveryOpSucceeds_ReturnsOneResultPerOp()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("multi");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var results = await zk.MultiAsync(
        [
            Op.Create(root + "/a", Bytes("1"), CreateMode.Persistent, Acl.OpenUnsafe),
            Op.Create(root + "/s-", Bytes(""), CreateMode.EphemeralSequential, Acl.OpenUnsafe),
            Op.SetData(root + "/a", Bytes("2"), version: 0),
            Op.Check(root + "/a", version: 1),
            Op.Delete(root + "/a", version: 1),
        ]).Within();

        Assert.Equal(root + "/a", Assert.IsType<CreateResult>(results[0]).Path);
        Assert.Equal(root + "/s-0000000001", Assert.IsType<CreateResult>(results[1]).Path);
        Assert.Equal(1, Assert.IsType<SetDataResult>(results[2]).Stat.Version);
        Assert.IsType<CheckResult>(results[3]);
        Assert.IsType<DeleteResult>(results[4]);
        Assert.Null(await zk.ExistsAsync(root + "/a").Within());
    }

    [Fact]
    public async Task Multi_WhenAnOpFails_ThrowsItsErrorWithIndexAndAppliesNothing()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("multi-fail");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var error = await Assert.ThrowsAsync<NoNodeException>(() => zk.MultiAsync(
        [
            Op.Create(root + "/a", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe),
            Op.Delete(root + "/missing"),
            Op.Create(root + "/b", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe),
        ]).Within());

        Assert.Equal(1, error.FailedOpIndex);
        Assert.Equal(root + "/missing", error.Path);
        Assert.Equal(
            [new ErrorResult(ErrorCode.Ok), new ErrorResult(ErrorCode.NoNode), new ErrorResult(ErrorCode.RuntimeInconsistency)],
            error.MultiResults);
        Assert.Null(await zk.ExistsAsync(root + "/a").Within());
    }

    [Fact]
    public async Task TryMulti_WhenACheckFails_ReturnsTheFailureWithoutThrowing()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("trymulti");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var result = await zk.TryMultiAsync([Op.Check(root, version: 5), Op.SetData(root, Bytes("x"))]).Within();

        Assert.False(result.Succeeded);
        Assert.Equal(ErrorCode.BadVersion, result.Error);
        Assert.Equal(0, result.FailedOpIndex);
        Assert.Equal(2, result.Results.Count);
    }

    [Fact]
    public async Task TryMulti_WhenItApplies_GivesTheZxidEveryNodeItCreatedHasAsItsCreationZxid()
    {
        await using var zk = await Connect(server.ConnectString);
        await using var other = await Connect(server.ConnectString);
        var root = server.UniqueRoot("multi-zxid");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        // Another session writes all the while, so a reply that gave the server's latest zxid rather than its own
        // transaction's would differ from the nodes' creation zxids.
        var noise = Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                await other.CreateAsync($"{root}/noise{i}", Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
            }
        });

        var zxids = new List<long>();
        for (int batch = 0; batch < 20; batch++)
        {
            var result = await zk.TryMultiAsync(
            [
                Op.Create($"{root}/f{batch}", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe),
                Op.Create($"{root}/f{batch}/lock-", Bytes("me"), CreateMode.EphemeralSequential, Acl.OpenUnsafe),
            ]).Within();

            Assert.True(result.Succeeded);
            Assert.True(result.Zxid > 0);
            foreach (var created in result.Results.Cast<CreateResult>())
            {
                Assert.Equal(result.Zxid, (await zk.GetDataAsync(created.Path).Within()).Stat.Czxid);
            }

            zxids.Add(result.Zxid);
        }

        await noise.Within();
        Assert.Equal(zxids.Order(), zxids);
        Assert.Equal(zxids.Count, zxids.Distinct().Count());
    }

    [Fact]
    public async Task TryMulti_WhenAnOpFails_GivesNoZxid()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("multi-zxid-fail");

        var result = await zk.TryMultiAsync([Op.Create(root + "/a/b", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe)]).Within();

        Assert.False(result.Succeeded);
        Assert.Equal(0, result.Zxid);
    }

    [Fact]
    public async Task MultiRead_ReturnsEachReadsOwnResult()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("multiread");
        await zk.CreateAsync(root, Bytes("top"), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        await zk.CreateAsync(root + "/y", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        await zk.CreateAsync(root + "/x", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var results = await zk.MultiReadAsync(
        [
            ReadOp.GetChildren(root),
            ReadOp.GetData(root),
            ReadOp.GetChildren(root + "/missing"),
            ReadOp.GetData(root + "/missing"),
        ]).Within();

        Assert.Equal(["x", "y"], Assert.IsType<ChildrenReadResult>(results[0]).Children);
        Assert.Equal("top", Text(Assert.IsType<DataReadResult>(results[1]).Data));
        Assert.Equal(ErrorCode.NoNode, results[2].Error);
        Assert.Equal(ErrorCode.NoNode, results[3].Error);
    }
}
