using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

[Collection(OwnServerCollection.Name)]
public sealed class EnsembleTests
{
    [Fact]
    public async Task ConnectedServerKilled_ClientMovesToAnotherMemberWithItsSession()
    {
        using var ensemble = ZooKeeperEnsemble.Start();
        await using var zk = await Connect(ensemble.ConnectString, TimeSpan.FromSeconds(6));
        var states = new StateLog(zk);
        await zk.CreateAsync("/member", Bytes("m"), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var sessionId = zk.SessionId;
        var first = zk.CurrentServer!;

        ensemble.ServerOn(first.Port).Stop();
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.NotEqual(first, zk.CurrentServer);
        Assert.Equal(sessionId, zk.SessionId);
        Assert.Equal(sessionId, (await zk.ExistsAsync("/member").Within())!.EphemeralOwner);
        await zk.SetDataAsync("/member", Bytes("moved")).Within();
        await zk.SyncAsync("/member").Within();
        Assert.Equal("moved", Text((await zk.GetDataAsync("/member").Within()).Data));
    }
}
