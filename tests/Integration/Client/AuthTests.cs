using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

[Collection(SharedServerCollection.Name)]
public sealed class AuthTests(ZooKeeperServerFixture server)
{
    [Fact]
    public async Task DigestAcl_RefusesASessionWithoutTheDigest_AndAdmitsOneWithIt()
    {
        await using var owner = await Connect(server.ConnectString);
        await using var stranger = await Connect(server.ConnectString);
        await using var friend = await Connect(server.ConnectString);
        var path = server.UniqueRoot("digest");
        await owner.AddAuthAsync("digest", "alice:secret").Within();
        await friend.AddAuthAsync("digest", "alice:secret").Within();

        await owner.CreateAsync(path, Bytes("private"), CreateMode.Persistent, [Acl.Digest("alice", "secret", Perms.All)]).Within();

        var refused = await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetDataAsync(path).Within());
        Assert.Equal(path, refused.Path);
        Assert.Equal("private", Text((await friend.GetDataAsync(path).Within()).Data));
    }

    [Fact]
    public async Task CreatorAll_GrantsTheCreatorsIdentity_AndNeedsAnAuthenticatedSession()
    {
        await using var owner = await Connect(server.ConnectString);
        await using var stranger = await Connect(server.ConnectString);
        var root = server.UniqueRoot("creator");

        await Assert.ThrowsAsync<InvalidAclException>(() => owner.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.CreatorAll).Within());
        await owner.AddAuthAsync("digest", "bob:pw").Within();
        await owner.CreateAsync(root, Bytes("mine"), CreateMode.Persistent, Acl.CreatorAll).Within();

        await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetDataAsync(root).Within());
        Assert.Equal("mine", Text((await owner.GetDataAsync(root).Within()).Data));
    }

    [Fact]
    public async Task ReadUnsafe_LetsAnyoneReadButNobodyWrite()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("readonly");
        await zk.CreateAsync(root, Bytes("r"), CreateMode.Persistent, Acl.ReadUnsafe).Within();

        Assert.Equal("r", Text((await zk.GetDataAsync(root).Within()).Data));
        await Assert.ThrowsAsync<NoAuthException>(() => zk.SetDataAsync(root, Bytes("w")).Within());
    }

    [Fact]
    public async Task CustomAcl_WithSeveralEntries_GivesEachIdentityItsPermissions()
    {
        await using var writer = await Connect(server.ConnectString);
        await using var reader = await Connect(server.ConnectString);
        var root = server.UniqueRoot("custom");
        await writer.AddAuthAsync("digest", "w:1").Within();
        await reader.AddAuthAsync("digest", "r:2").Within();
        IReadOnlyList<Acl> acl = [Acl.Digest("w", "1", Perms.All), Acl.Digest("r", "2", Perms.Read)];

        await writer.CreateAsync(root, Bytes("x"), CreateMode.Persistent, acl).Within();

        Assert.Equal("x", Text((await reader.GetDataAsync(root).Within()).Data));
        await Assert.ThrowsAsync<NoAuthException>(() => reader.SetDataAsync(root, Bytes("y")).Within());
        await writer.SetDataAsync(root, Bytes("y")).Within();
    }

    [Fact]
    public async Task AddAuth_WithAnUnknownScheme_FailsAndEndsTheSessionAsAuthFailed()
    {
        var zk = await Connect(server.ConnectString);
        var states = new StateLog(zk);

        await Assert.ThrowsAsync<AuthFailedException>(() => zk.AddAuthAsync("no-such-scheme", "x").Within());
        await states.WaitFor(SessionEvent.AuthFailed);

        Assert.Equal(ZooKeeperState.AuthFailed, zk.State);
        await Assert.ThrowsAsync<AuthFailedException>(() => zk.ExistsAsync("/").Within());
        await zk.CloseAsync().Within();
    }

    [Fact]
    public async Task Auth_IsSentAgainAfterAReconnect()
    {
        await using var proxy = TcpProxy.Start(server.Port);
        await using var owner = await Connect(proxy.ConnectString);
        var states = new StateLog(owner);
        var root = server.UniqueRoot("reauth");
        await owner.AddAuthAsync("digest", "carol:pw").Within();
        await owner.CreateAsync(root, Bytes("c"), CreateMode.Persistent, [Acl.Digest("carol", "pw", Perms.All)]).Within();

        proxy.CutAll();
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.Equal("c", Text((await owner.GetDataAsync(root).Within()).Data));
    }
}
