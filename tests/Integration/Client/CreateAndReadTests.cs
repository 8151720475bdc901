using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Integration.Client.ClientTestKit;

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
}
