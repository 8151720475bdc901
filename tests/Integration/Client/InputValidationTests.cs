using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

[Collection(SharedServerCollection.Name)]
public sealed class InputValidationTests(ZooKeeperServerFixture server)
{
    [Theory]
    [InlineData("")]
    [InlineData("no-slash")]
    [InlineData("/trailing/")]
    [InlineData("/double//slash")]
    [InlineData("/dot/./x")]
    [InlineData("/dotdot/..")]
    [InlineData("/nul\0char")]
    [InlineData("/control\u0001char")]
    public async Task InvalidPath_IsRefusedBeforeSending_WithAMessageNamingIt(string path)
    {
        await using var zk = await Connect(server.ConnectString);
        var zxidBefore = zk.LastZxid;

        // The call throws synchronously: nothing is queued or sent.
        var error = Assert.Throws<ArgumentException>(() => { _ = zk.CreateAsync(path, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe); });

        Assert.Contains($"'{path}'", error.Message, StringComparison.Ordinal);
        Assert.Equal("path", error.ParamName);
        Assert.Throws<ArgumentException>(() => { _ = zk.GetDataAsync(path); });
        Assert.Throws<ArgumentException>(() => { _ = zk.MultiAsync([Op.Delete(path)]); });
        Assert.Equal(zxidBefore, zk.LastZxid);
    }

    [Fact]
    public async Task OversizedData_IsRefusedBeforeSending_AndTheSessionStaysUp()
    {
        await using var zk = await Connect(server.ConnectString);
        var path = server.UniqueRoot("big");
        var states = new StateLog(zk);

        var error = Assert.Throws<ArgumentException>(() => { _ = zk.CreateAsync(path, new byte[2_000_000], CreateMode.Persistent, Acl.OpenUnsafe); });

        Assert.Equal("data", error.ParamName);
        Assert.Contains("over FrameBytesMax (1048575)", error.Message, StringComparison.Ordinal);
        Assert.Null(await zk.ExistsAsync(path).Within());
        Assert.Empty(states.Events);
    }

    [Fact]
    public async Task SequentialCreate_AllowsAPathEndingInSlash()
    {
        await using var zk = await Connect(server.ConnectString);
        var root = server.UniqueRoot("seq-slash");
        await zk.CreateAsync(root, Bytes(""), CreateMode.Persistent, Acl.OpenUnsafe).Within();

        var created = await zk.CreateAsync(root + "/", Bytes(""), CreateMode.PersistentSequential, Acl.OpenUnsafe).Within();

        Assert.Equal(root + "/0000000000", created);
    }

    [Fact]
    public void ConnectString_ParsesServersDefaultPortAndChroot()
    {
        var parsed = ConnectionString.Parse("a:1,b,[::1]:3/app/x");

        Assert.Equal([new ServerAddress("a", 1), new ServerAddress("b", 2181), new ServerAddress("::1", 3)], parsed.Servers);
        Assert.Equal("/app/x", parsed.Chroot);
        Assert.Null(ConnectionString.Parse("a:1/").Chroot);
    }

    [Theory]
    [InlineData("a:notaport")]
    [InlineData("a:0")]
    [InlineData("a:1,,b:2")]
    [InlineData("a:1/bad//chroot")]
    public void ConnectString_WhenInvalid_ThrowsNamingTheProblem(string text)
    {
        var error = Assert.Throws<ArgumentException>(() => ConnectionString.Parse(text));

        Assert.Equal("text", error.ParamName);
    }

    [Fact]
    public async Task Options_WhenInvalid_AreRefusedNamingTheField()
    {
        var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromMilliseconds(5) };

        var error = await Assert.ThrowsAsync<ArgumentException>(() => ZooKeeperClient.ConnectAsync(server.ConnectString, options));

        Assert.Equal(nameof(ZooKeeperClientOptions.SessionTimeout), error.ParamName);
        Assert.Contains("00:00:00.005", error.Message, StringComparison.Ordinal);
    }
}
