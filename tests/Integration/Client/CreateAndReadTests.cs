using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

[Collection(SharedServerCollection.Name)]
public sealed class CreateAndReadTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task Create_ThenGetData_ReturnsTheDataAndAFreshStat()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("create");

        var created = await zk.CreateAsync(root, Bytes("hello"), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var (data, stat) = await zk.GetDataAsync(root).Within();

        Assert.Equal(root, created);
        Assert.Equal("hello", Text(data));
        Assert.Equal(0, stat.Version);
        Assert.Equal(5, stat.DataLength);
        Assert.Equal(0L, stat.EphemeralOwner);
        Assert.True(zk.SessionId != 0);
    }

    [Fact]
    public async Task Create_WhenNodeExists_ThrowsNodeExistsNamingThePath()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("exists");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var error = await Assert.ThrowsAsync<NodeExistsException>(() => zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within());

        Assert.Equal(ErrorCode.NodeExists, error.Code);
        Assert.Equal(root, error.Path);
        Assert.Contains(root, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_WhenParentIsMissing_ThrowsNoNode()
    {
        await using var zk = await Connect(server.ConnectString);
        var path = server.UniqueRoot("orphan") + "/child";

        var error = await Assert.ThrowsAsync<NoNodeException>(() => zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within());

        Assert.Equal(path, error.Path);
    }

    [Fact]
    public async Task Create_UnderAnEphemeralNode_ThrowsNoChildrenForEphemerals()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("eph-parent");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();

        await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(() => zk.CreateAsync(root + "/c", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within());
    }

    [Fact]
    public async Task Create_Sequential_AppendsTheParentsCounterAsTenDigits()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("seq");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var first = await zk.CreateAsync(root + "/p-", Bytes(""), CreateMode.PersistentSequential, Acl.OpenUnsafe).Within();
        var second = await zk.CreateAsync(root + "/e-", Bytes(""), CreateMode.EphemeralSequential, Acl.OpenUnsafe).Within();
        var third = await zk.CreateAsync(root + "/", Bytes(""), CreateMode.EphemeralSequential, Acl.OpenUnsafe).Within();

        Assert.Equal(root + "/p-0000000000", first);
        Assert.Equal(root + "/e-0000000001", second);
        Assert.Equal(root + "/0000000002", third);
        var ephemeral = await zk.ExistsAsync(second).Within();
        Assert.Equal(zk.SessionId, ephemeral!.EphemeralOwner);
    }

    [Fact]
    public async Task Create_Container_IsAcceptedAndCreatesTheNode()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("container");

        var path = await zk.CreateAsync(root, Bytes("c"), CreateMode.Container, Acl.OpenUnsafe).Within();
        var (data, stat) = await zk.GetDataAsync(root).Within();

        Assert.Equal(root, path);
        Assert.Equal("c", Text(data));
        Assert.Equal(0L, stat.EphemeralOwner);
    }

    [Fact]
    public async Task Exists_ReturnsNullForAMissingNodeAndTheStatForAPresentOne()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("exists-read");

        var before = await zk.ExistsAsync(root).Within();
        await zk.CreateAsync(root, Bytes("abc"), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        var after = await zk.ExistsAsync(root).Within();

        Assert.Null(before);
        Assert.Equal(3, after!.DataLength);
    }

    [Fact]
    public async Task GetData_OfAMissingNode_ThrowsNoNode()
    {
        await using var zk = await Connect(server.ConnectString);
        var path = server.UniqueRoot("missing");

        var error = await Assert.ThrowsAsync<NoNodeException>(() => zk.GetDataAsync(path).Within());

        Assert.Equal(path, error.Path);
    }

    [Fact]
    public async Task SetData_WithTheCurrentVersion_ReplacesDataAndBumpsTheVersion()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("set");
        await zk.CreateAsync(root, Bytes("v0"), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var stat = await zk.SetDataAsync(root, Bytes("v1"), version: 0).Within();
        var (data, _) = await zk.GetDataAsync(root).Within();

        Assert.Equal(1, stat.Version);
        Assert.Equal("v1", Text(data));
    }

    [Fact]
    public async Task SetData_WithAStaleVersion_ThrowsBadVersion()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("set-stale");
        await zk.CreateAsync(root, Bytes("v0"), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        await zk.SetDataAsync(root, Bytes("v1")).Within();

        await Assert.ThrowsAsync<BadVersionException>(() => zk.SetDataAsync(root, Bytes("v2"), version: 0).Within());
    }

    [Fact]
    public async Task Delete_ChecksVersionAndChildren()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("delete");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        await zk.CreateAsync(root + "/child", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        await Assert.ThrowsAsync<NotEmptyException>(() => zk.DeleteAsync(root).Within());
        await Assert.ThrowsAsync<BadVersionException>(() => zk.DeleteAsync(root + "/child", version: 7).Within());
        await zk.DeleteAsync(root + "/child", version: 0).Within();
        await zk.DeleteAsync(root).Within();
        await Assert.ThrowsAsync<NoNodeException>(() => zk.DeleteAsync(root).Within());

        Assert.Null(await zk.ExistsAsync(root).Within());
    }

    [Fact]
    public async Task GetChildren_ReturnsNamesInOrdinalOrderWithTheParentsStat()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("children");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        foreach (var name in new[] { "b", "a", "c", "B" })
        {
            await zk.CreateAsync($"{root}/{name}", Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();
        }

        var children = await zk.GetChildrenAsync(root).Within();
        var (_, stat) = await zk.GetChildrenWithStatAsync(root).Within();

        Assert.Equal(["B", "a", "b", "c"], children);
        Assert.Equal(4, stat.NumChildren);
    }

    [Fact]
    public async Task Sync_OnAnExistingPath_Completes()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("sync");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        await zk.SyncAsync(root).Within();

        Assert.NotNull(await zk.ExistsAsync(root).Within());
    }

    [Fact]
    public async Task PipelinedCreates_CompleteInTheOrderIssued()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("pipeline");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var tasks = Enumerable.Range(0, 500).Select(_ => zk.CreateAsync(root + "/n-", Bytes(""), CreateMode.PersistentSequential, Acl.OpenUnsafe)).ToList();
        var paths = await Task.WhenAll(tasks).Within();

        // The server numbers sequential nodes in the order it applies them; the i-th request must get number i.
        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"{root}/n-{i:D10}"), paths);
    }
}
