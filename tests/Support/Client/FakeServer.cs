using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Partitioner.Tests.Support.Client;

/// <summary>
/// Something pretending to be a ZooKeeper server, for testing how the client treats a bad peer.
/// Each accepted connection runs <c>script</c>; the helpers speak just enough of the protocol.
/// </summary>
internal sealed class FakeServer : IAsyncDisposable
{
    public const long SessionId = 0x4242;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<FakeConnection, int, Task> _script;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<long> _handshakeSessionIds = [];
    private readonly Task _loop;

    public FakeServer(Func<FakeConnection, int, Task> script)
    {
        _script = script;
        _listener.Start();
        _loop = AcceptLoop();
    }

    public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>The session id each connection's handshake asked for, in order (0 = a new session).</summary>
    public IReadOnlyList<long> HandshakeSessionIds
    {
        get
        {
            lock (_handshakeSessionIds)
            {
                return [.. _handshakeSessionIds];
            }
        }
    }

    public int Connections { get; private set; }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    internal void RecordHandshake(long sessionId)
    {
        lock (_handshakeSessionIds)
        {
            _handshakeSessionIds.Add(sessionId);
        }
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var socket = await _listener.AcceptSocketAsync(_stop.Token);
            var index = Connections++;
            _ = Serve(new FakeConnection(this, socket, _stop.Token), index);
        }
    }

    private async Task Serve(FakeConnection connection, int index)
    {
        try
        {
            await _script(connection, index);
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // The client went away, which several scenarios cause on purpose.
        }
        finally
        {
            connection.Close();
        }
    }
}

internal sealed class FakeConnection(FakeServer server, Socket socket, CancellationToken stop)
{
    /// <summary>Reads the ConnectRequest and answers with session <see cref="FakeServer.SessionId"/>, of 10 s unless <paramref name="timeoutMs"/> says otherwise.</summary>
    public async Task AcceptHandshake(int timeoutMs = 10_000)
    {
        await ReadHandshake();
        var reply = new byte[4 + 4 + 8 + 4 + 16 + 1];
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(4), timeoutMs);
        BinaryPrimitives.WriteInt64BigEndian(reply.AsSpan(8), FakeServer.SessionId);
        BinaryPrimitives.WriteInt32BigEndian(reply.AsSpan(16), 16);
        await SendFrame(reply);
    }

    /// <summary>Reads the ConnectRequest, records the session id it asks for, and answers nothing.</summary>
    public async Task ReadHandshake()
    {
        var request = await ReadFrame();
        server.RecordHandshake(BinaryPrimitives.ReadInt64BigEndian(request.AsSpan(16)));
    }

    /// <summary>Reads one request and returns its xid and op code.</summary>
    public async Task<(int Xid, int Op)> ReadRequest()
    {
        var frame = await ReadFrame();
        return (BinaryPrimitives.ReadInt32BigEndian(frame), BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)));
    }

    /// <summary>Answers every request with an empty success until the client leaves or closes its session.</summary>
    public async Task ServePolitely()
    {
        while (true)
        {
            var (xid, op) = await ReadRequest();
            await SendReply(xid, err: 0, []);
            if (op == -11)
            {
                return;
            }
        }
    }

    public Task SendReply(int xid, int err, byte[] body)
    {
        var frame = new byte[16 + body.Length];
        BinaryPrimitives.WriteInt32BigEndian(frame, xid);
        BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(4), 1);
        BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(12), err);
        body.CopyTo(frame, 16);
        return SendFrame(frame);
    }

    public Task SendFrame(byte[] frame)
    {
        var bytes = new byte[4 + frame.Length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, frame.Length);
        frame.CopyTo(bytes, 4);
        return SendRaw(bytes);
    }

    public async Task SendRaw(byte[] bytes) => await socket.SendAsync(bytes, SocketFlags.None, stop);

    public void Close() => socket.Dispose();

    /// <summary>Waits until the client closes its end (returns) or the test ends.</summary>
    public async Task WaitForClientToLeave()
    {
        var buffer = new byte[4096];
        while (await socket.ReceiveAsync(buffer, SocketFlags.None, stop) > 0)
        {
        }
    }

    private async Task<byte[]> ReadFrame()
    {
        var length = BinaryPrimitives.ReadInt32BigEndian(await ReadExactly(4));
        return await ReadExactly(length);
    }

    private async Task<byte[]> ReadExactly(int count)
    {
        var buffer = new byte[count];
        for (var read = 0; read < count;)
        {
            var n = await socket.ReceiveAsync(buffer.AsMemory(read), SocketFlags.None, stop);
            if (n == 0)
            {
                throw new IOException("the client closed the connection");
            }

            read += n;
        }

        return buffer;
    }
}
