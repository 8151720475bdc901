using System.Diagnostics;
using System.Buffers.Binary;
using System.Text;
using Partitioner.Tests.Support.Client;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Tests.Client;

/// <summary>A peer that breaks the protocol gets its connection dropped with a clear error, then a reconnect; never a hang.</summary>
public sealed class BadPeerTests
{
    public enum Misbehaviour
    {
        NegativeLength,
        OversizedLength,
        TruncatedFrame,
        UnknownXid,
        Garbage,
        UndecodableBody,
    }

    [Theory]
    [InlineData(Misbehaviour.NegativeLength, "frame length of -1, outside")]
    [InlineData(Misbehaviour.OversizedLength, "frame length of 2147483000, outside")]
    [InlineData(Misbehaviour.TruncatedFrame, "closed the connection inside a frame")]
    [InlineData(Misbehaviour.UnknownXid, "arrived while xid")]
    [InlineData(Misbehaviour.Garbage, "frame length of 1213486160, outside")]
    [InlineData(Misbehaviour.UndecodableBody, "a buffer length of 1000000")]
    public async Task BadReply_DropsTheConnectionWithAClearError_ThenReconnectsWithTheSameSession(Misbehaviour misbehaviour, string expected)
    {
        await using var fake = new FakeServer(async (connection, index) =>
        {
            await connection.AcceptHandshake();
            if (index == 0)
            {
                var (xid, _) = await connection.ReadRequest();
                await Misbehave(connection, misbehaviour, xid);
                await connection.WaitForClientToLeave();
            }
            else
            {
                await connection.ServePolitely();
            }
        });
        var zk = await ZooKeeperClient.ConnectAsync(fake.ConnectString, FastOptions());
        var states = new StateLog(zk);

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => zk.GetDataAsync("/x").Within());
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.Equal("/x", error.Path);
        Assert.Equal([0L, FakeServer.SessionId], fake.HandshakeSessionIds.Take(2));
        await zk.CloseAsync().Within();
    }

    /// <summary>
    /// A server restarted while the client reconnects: ZooKeeper 3.8 takes the connection while it is still starting,
    /// refuses the handshake, fails to close the socket, and leaves it silent until it drops sessionless connections
    /// 10 s later. The restarted server gave the session its whole timeout again from its start, so a client that
    /// waits out its connect timeout (the whole session timeout, with one server) on that silence finds the session
    /// expired (seen on real servers: the restart tests' Suspended then Expired). It must give up on the silent
    /// handshake in time for another attempt.
    /// </summary>
    [Fact]
    public async Task SilentHandshakeOnAReconnect_IsGivenUpInTimeForAnotherAttempt_WhichResumesTheSession()
    {
        const int sessionMs = 3_000;
        var dropFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var silence = Stopwatch.StartNew();
        var silentFor = TimeSpan.Zero;
        await using var fake = new FakeServer(async (connection, index) =>
        {
            switch (index)
            {
                case 0:
                    await connection.AcceptHandshake(sessionMs);
                    await dropFirst.Task;
                    break;
                case 1:
                    await connection.ReadHandshake();
                    silence.Restart();
                    await connection.WaitForClientToLeave();
                    silentFor = silence.Elapsed;
                    break;
                default:
                    await connection.AcceptHandshake(sessionMs);
                    await connection.ServePolitely();
                    break;
            }
        });
        var zk = await ZooKeeperClient.ConnectAsync(fake.ConnectString, FastOptions());
        var states = new StateLog(zk);

        dropFirst.SetResult();
        await states.WaitFor(SessionEvent.Reconnected);

        // Two thirds of the session are what a restarted server's fresh timeout leaves once the client has given up:
        // waiting the old connect timeout (the whole 3 s) would not leave any.
        Assert.InRange(silentFor, TimeSpan.Zero, TimeSpan.FromMilliseconds(sessionMs * 2 / 3));
        Assert.Equal([0L, FakeServer.SessionId, FakeServer.SessionId], fake.HandshakeSessionIds.Take(3));
        Assert.Equal(FakeServer.SessionId, zk.SessionId);
        await zk.CloseAsync().Within();
    }

    [Fact]
    public async Task ReplyOverTheFrameLimit_FailsThatRequestNamingSizeAndLimit_AndKeepsTheConnection()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await connection.AcceptHandshake();
            var (xid, _) = await connection.ReadRequest();
            await connection.SendReply(xid, err: 0, new byte[10_000]);
            await connection.ServePolitely();
        });
        var options = new ZooKeeperClientOptions
        {
            SessionTimeout = TimeSpan.FromSeconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(50),
            CloseTimeout = TimeSpan.FromMilliseconds(500),
            FrameBytesMax = 4096,
        };
        var zk = await ZooKeeperClient.ConnectAsync(fake.ConnectString, options);

        var error = await Assert.ThrowsAsync<ReplyTooLargeException>(() => zk.GetChildrenAsync("/big").Within());
        await zk.DeleteAsync("/next").Within();

        Assert.Equal(ErrorCode.MarshallingError, error.Code);
        Assert.Equal("/big", error.Path);
        Assert.Equal(10_016, error.ReplyBytes);
        Assert.Equal(4096, error.ReplyBytesMax);
        Assert.Contains("10016 bytes, over the client's frame limit of 4096 bytes", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, zk.RepliesTooLargeCount);
        Assert.Equal(1, fake.Connections);
        await zk.CloseAsync().Within();
    }

    [Fact]
    public async Task GarbageInsteadOfAHandshake_IsRetriedWithBackOffUntilCancelled()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await connection.SendRaw(Encoding.ASCII.GetBytes("SSH-2.0-OpenSSH_9.2\r\n"));
            await connection.WaitForClientToLeave();
        });
        using var cancel = new CancellationTokenSource();
        var connecting = ZooKeeperClient.ConnectAsync(fake.ConnectString, FastOptions(), cancel.Token);

        // It retries: a second attempt comes (waited for, however slow the machine), and the connect goes on after it.
        var deadline = DateTime.UtcNow + WaitMax;
        while (fake.Connections < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"no second attempt within {WaitMax}");
            await Task.Delay(10);
        }

        // Then in 1.5 s more it makes far fewer attempts than a tight loop would (a slow machine only makes fewer).
        var before = fake.Connections;
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connecting.Within());
        Assert.True(fake.Connections - before <= 40, $"{fake.Connections - before} attempts in 1.5 s");
    }

    [Fact]
    public async Task Connect_ByHostName_ResolvesTheNameAndConnects()
    {
        await using var fake = new FakeServer(async (connection, _) =>
        {
            await connection.AcceptHandshake();
            await connection.ServePolitely();
        });
        var port = fake.ConnectString.Split(':')[1];

        var zk = await ZooKeeperClient.ConnectAsync($"localhost:{port}", FastOptions()).Within();

        Assert.Equal(FakeServer.SessionId, zk.SessionId);
        Assert.Equal(new ServerAddress("localhost", int.Parse(port, System.Globalization.CultureInfo.InvariantCulture)), zk.CurrentServer);
        await zk.CloseAsync().Within();
    }

    private static ZooKeeperClientOptions FastOptions() => new()
    {
        SessionTimeout = TimeSpan.FromSeconds(10),
        ReconnectDelayMax = TimeSpan.FromMilliseconds(50),
        CloseTimeout = TimeSpan.FromMilliseconds(500),
    };

    private static async Task Misbehave(FakeConnection connection, Misbehaviour misbehaviour, int xid)
    {
        switch (misbehaviour)
        {
            case Misbehaviour.NegativeLength:
                await connection.SendRaw([0xFF, 0xFF, 0xFF, 0xFF, 1, 2, 3]);
                break;
            case Misbehaviour.OversizedLength:
                var oversized = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(oversized, 2147483000);
                await connection.SendRaw(oversized);
                break;
            case Misbehaviour.TruncatedFrame:
                await connection.SendRaw([0, 0, 0, 100, 0, 0, 0, 1, 0, 0]);
                connection.Close();
                break;
            case Misbehaviour.UnknownXid:
                await connection.SendReply(xid + 1000, err: 0, []);
                break;
            case Misbehaviour.Garbage:
                await connection.SendRaw(Encoding.ASCII.GetBytes("HTTP/1.1 400 Bad Request\r\n\r\n"));
                break;
            case Misbehaviour.UndecodableBody:
                // A getData reply whose data buffer claims far more bytes than the frame holds.
                var body = new byte[8];
                BinaryPrimitives.WriteInt32BigEndian(body, 1_000_000);
                await connection.SendReply(xid, err: 0, body);
                break;
        }
    }
}
