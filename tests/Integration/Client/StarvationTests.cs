using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

/// <summary>
/// The reader and the pinger run on the client's own threads, so a starved thread pool cannot make the
/// session look dead. Runs in the non-parallel collection because it starves the whole process's pool.
/// </summary>
[Collection(OwnServerCollection.Name)]
public sealed class StarvationTests
{
    [Fact]
    public async Task BusyThreadPool_LongerThanTheReadTimeout_DoesNotDropTheConnection()
    {
        using var server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 100 });
        // A 3 s session: pings every 1 s, and the connection is dropped after 2 s of silence. The pool is starved for
        // three times that; a shorter read timeout could also be passed by the machine itself when it is loaded (a
        // server's pause, the client's threads not scheduled), which is not what this test is about.
        await using var zk = await Connect(server.ConnectString, TimeSpan.FromSeconds(3));
        var states = new StateLog(zk);
        var release = new ManualResetEventSlim();
        var blockers = Environment.ProcessorCount * 32;

        var heardBefore = zk.LastHeardTimestamp;
        for (var i = 0; i < blockers; i++)
        {
            ThreadPool.UnsafeQueueUserWorkItem(_ => release.Wait(TimeSpan.FromSeconds(20)), null);
        }

        // Block this test's own thread too (not await), so nothing here needs the pool while it is starved.
        Thread.Sleep(TimeSpan.FromSeconds(6));
        var heardDuring = zk.LastHeardTimestamp;
        release.Set();
        await zk.ExistsAsync("/").Within();

        Assert.True(heardDuring > heardBefore, "ping replies kept arriving while the pool was starved");
        Assert.DoesNotContain(SessionEvent.Suspended, states.Events);
        Assert.Equal(ZooKeeperState.Connected, zk.State);
    }
}
