using Partitioner.Tests.Support.Client;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Tests.Client;

/// <summary>
/// <see cref="ZooKeeperClientOptions.PendingRequestsMax"/>: past the limit, requests wait unsent and in order (their
/// callers' tasks complete later, they do not fail), and go out as replies come back.
/// </summary>
public sealed class BackPressureTests
{
    private static ZooKeeperClientOptions Options(int pendingRequestsMax) => new()
    {
        SessionTimeout = TimeSpan.FromSeconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(50),
        CloseTimeout = TimeSpan.FromMilliseconds(500),
        PendingRequestsMax = pendingRequestsMax,
    };

    [Fact]
    public async Task RequestsOverPendingRequestsMax_WaitUnsentInOrder_AndAllSucceedAsRepliesFreePlaces()
    {
        var received = new List<int>();
        var twoRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, _) =>
        {
            // A ping (xid -2) is answered at once and is not one of the requests counted.
            async Task<(int Xid, int Op)> ReadWork()
            {
                while (true)
                {
                    var request = await connection.ReadRequest();
                    if (request.Xid >= 0)
                    {
                        lock (received)
                        {
                            received.Add(request.Xid);
                        }

                        return request;
                    }

                    await connection.SendReply(request.Xid, err: 0, []);
                }
            }

            await connection.AcceptHandshake();
            var first = await ReadWork();
            var second = await ReadWork();
            twoRead.SetResult();
            await go.Task;
            await connection.SendReply(first.Xid, err: 0, []);
            while (true)
            {
                var (xid, op) = await ReadWork();
                if (xid == second.Xid + 1)
                {
                    // Replies keep the order of the requests: the second is answered before the third.
                    await connection.SendReply(second.Xid, err: 0, []);
                }

                await connection.SendReply(xid, err: 0, []);
                if (op == -11)
                {
                    return;
                }
            }
        });
        var zk = await ZooKeeperClient.ConnectAsync(fake.ConnectString, Options(pendingRequestsMax: 2));

        var deletes = Enumerable.Range(0, 5).Select(i => zk.DeleteAsync($"/n{i}")).ToList();

        Assert.Equal(2, zk.PendingRequestCount);
        Assert.Equal(3, zk.WaitingRequestCount);
        await twoRead.Task.Within();
        Assert.All(deletes, delete => Assert.False(delete.IsCompleted));
        go.SetResult();
        await Task.WhenAll(deletes).Within();
        Assert.Equal(0, zk.WaitingRequestCount);
        lock (received)
        {
            Assert.Equal(Enumerable.Range(received[0], 5), received.Take(5));
        }

        await zk.CloseAsync().Within();
    }

    [Fact]
    public async Task RequestsWaitingForAPlace_WhenTheConnectionDrops_FailWithConnectionLossInsteadOfHanging()
    {
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var drop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshake();
            if (index == 0)
            {
                await connection.ReadRequest();
                firstRead.SetResult();
                await drop.Task;
                connection.Close();
                return;
            }

            await connection.ServePolitely();
        });
        var zk = await ZooKeeperClient.ConnectAsync(fake.ConnectString, Options(pendingRequestsMax: 1));

        var deletes = Enumerable.Range(0, 3).Select(i => zk.DeleteAsync($"/n{i}")).ToList();
        Assert.Equal(2, zk.WaitingRequestCount);
        await firstRead.Task.Within();
        drop.SetResult();

        foreach (var delete in deletes)
        {
            await Assert.ThrowsAsync<ConnectionLossException>(() => delete.Within());
        }

        Assert.Equal(0, zk.WaitingRequestCount);
        await zk.CloseAsync().Within();
    }

    [Fact]
    public void PendingRequestsMax_BelowOne_IsRefusedNamingTheSetting()
    {
        var error = Assert.Throws<ArgumentException>(() => Options(pendingRequestsMax: 0).Validate());

        Assert.Equal(nameof(ZooKeeperClientOptions.PendingRequestsMax), error.ParamName);
        Assert.Contains("PendingRequestsMax 0", error.Message, StringComparison.Ordinal);
    }
}
