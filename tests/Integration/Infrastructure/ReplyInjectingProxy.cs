using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// A loopback proxy in front of a real server that speaks just enough of the protocol to answer chosen requests
/// itself, as a server under strain would: a request the rule picks is not forwarded, and the client gets the
/// rule's reply in its place, in the order ZooKeeper keeps (after the replies to every earlier request). Everything
/// else, pings and notifications included, passes through unchanged.
/// </summary>
public sealed class ReplyInjectingProxy : IAsyncDisposable
{
    private const int NotificationXid = -1;
    private const int PingXid = -2;
    private const int AuthXid = -4;

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _targetPort;
    private readonly Func<InjectedRequest, byte[]?> _rule;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _acceptLoop;
    private int _injected;

    /// <param name="targetPort">The real server's port on 127.0.0.1.</param>
    /// <param name="rule">For each request, the reply body to send in its place (from the error code on, see
    /// <see cref="Error"/>), or null to forward it. Called on the proxy's threads, one request at a time per connection.</param>
    public ReplyInjectingProxy(int targetPort, Func<InjectedRequest, byte[]?> rule)
    {
        _targetPort = targetPort;
        _rule = rule;
        _listener.Start();
        _acceptLoop = AcceptLoop();
    }

    /// <summary><c>127.0.0.1:port</c> of the proxy.</summary>
    public string ConnectString => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    /// <summary>How many requests the proxy answered itself.</summary>
    public int InjectedCount => Volatile.Read(ref _injected);

    /// <summary>A reply of the error code alone (no body), as a server sends for a request it refused.</summary>
    public static byte[] Error(int code)
    {
        var reply = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(reply, code);
        return reply;
    }

    /// <summary>
    /// A multiRead reply whose every read failed with <paramref name="code"/> (each read of a multiRead fails on its own),
    /// for the <paramref name="reads"/> reads of the request.
    /// </summary>
    public static byte[] MultiReadOfErrors(int reads, int code)
    {
        var reply = new byte[4 + reads * 13 + 9];
        var span = reply.AsSpan(4);
        for (var i = 0; i < reads; i++, span = span[13..])
        {
            BinaryPrimitives.WriteInt32BigEndian(span, -1);
            span[4] = 0;
            BinaryPrimitives.WriteInt32BigEndian(span[5..], code);
            BinaryPrimitives.WriteInt32BigEndian(span[9..], code);
        }

        BinaryPrimitives.WriteInt32BigEndian(span, -1);
        span[4] = 1;
        BinaryPrimitives.WriteInt32BigEndian(span[5..], -1);
        return reply;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            var client = await _listener.AcceptSocketAsync(_stop.Token);
            var server = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token);
            _ = new Link(this, client, server).Run(_stop.Token);
        }
    }

    /// <summary>One client connection and its server connection.</summary>
    private sealed class Link(ReplyInjectingProxy proxy, Socket client, Socket server)
    {
        private readonly SemaphoreSlim _clientWrites = new(1, 1);

        /// <summary>Every request in flight, in order: null when forwarded, else the reply the proxy sends for it.</summary>
        private readonly Queue<(int Xid, byte[]? Injected)> _inFlight = new();
        private long _lastZxid;

        public async Task Run(CancellationToken stop)
        {
            try
            {
                await Task.WhenAll(Upstream(stop), Downstream(stop));
            }
            catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Either side went away.
            }
            finally
            {
                client.Dispose();
                server.Dispose();
            }
        }

        private async Task Upstream(CancellationToken stop)
        {
            try
            {
                await server.SendAsync(await ReadFrame(client, stop), SocketFlags.None, stop);
                while (true)
                {
                    var frame = await ReadFrame(client, stop);
                    int xid = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                    int op = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(8));
                    if (xid is PingXid or AuthXid)
                    {
                        await server.SendAsync(frame, SocketFlags.None, stop);
                        continue;
                    }

                    var injected = proxy._rule(new InjectedRequest(op, frame.AsMemory(12)));
                    await _clientWrites.WaitAsync(stop);
                    try
                    {
                        _inFlight.Enqueue((xid, injected));
                        if (injected is not null)
                        {
                            Interlocked.Increment(ref proxy._injected);
                            await SendInjectedAtHead(stop);
                        }
                    }
                    finally
                    {
                        _clientWrites.Release();
                    }

                    if (injected is null)
                    {
                        await server.SendAsync(frame, SocketFlags.None, stop);
                    }
                }
            }
            finally
            {
                server.Dispose();
            }
        }

        private async Task Downstream(CancellationToken stop)
        {
            try
            {
                await client.SendAsync(await ReadFrame(server, stop), SocketFlags.None, stop);
                while (true)
                {
                    var frame = await ReadFrame(server, stop);
                    int xid = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4));
                    await _clientWrites.WaitAsync(stop);
                    try
                    {
                        await client.SendAsync(frame, SocketFlags.None, stop);
                        if (xid is NotificationXid or PingXid or AuthXid)
                        {
                            continue;
                        }

                        _lastZxid = BinaryPrimitives.ReadInt64BigEndian(frame.AsSpan(8));
                        if (_inFlight.TryPeek(out var head) && head.Xid == xid)
                        {
                            _inFlight.Dequeue();
                        }

                        await SendInjectedAtHead(stop);
                    }
                    finally
                    {
                        _clientWrites.Release();
                    }
                }
            }
            finally
            {
                client.Dispose();
            }
        }

        /// <summary>Sends the proxy's own replies that are now next in order (called holding the client's write lock).</summary>
        private async Task SendInjectedAtHead(CancellationToken stop)
        {
            while (_inFlight.TryPeek(out var head) && head.Injected is { } body)
            {
                _inFlight.Dequeue();
                var frame = new byte[4 + 12 + body.Length];
                BinaryPrimitives.WriteInt32BigEndian(frame, 12 + body.Length);
                BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), head.Xid);
                BinaryPrimitives.WriteInt64BigEndian(frame.AsSpan(8), _lastZxid);
                body.CopyTo(frame, 16);
                await client.SendAsync(frame, SocketFlags.None, stop);
            }
        }

        private static async Task<byte[]> ReadFrame(Socket socket, CancellationToken stop)
        {
            var length = new byte[4];
            await ReadExactly(socket, length, stop);
            var frame = new byte[4 + BinaryPrimitives.ReadInt32BigEndian(length)];
            length.CopyTo(frame, 0);
            await ReadExactly(socket, frame.AsMemory(4), stop);
            return frame;
        }

        private static async Task ReadExactly(Socket socket, Memory<byte> buffer, CancellationToken stop)
        {
            while (buffer.Length > 0)
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop);
                if (n == 0)
                {
                    throw new IOException("the peer closed the connection");
                }

                buffer = buffer[n..];
            }
        }
    }
}

/// <summary>A request as the proxy's rule sees it: its op code and its body after the header.</summary>
public sealed record InjectedRequest(int Op, ReadOnlyMemory<byte> Body)
{
    /// <summary>The number of ops of a multi or multiRead request (their headers, up to the closing one).</summary>
    public int MultiReadOpCount()
    {
        var span = Body.Span;
        var count = 0;
        while (true)
        {
            bool done = span[4] != 0;
            span = span[9..];
            if (done)
            {
                return count;
            }

            // A read op: a path (length, bytes), then the watch flag.
            int pathBytes = BinaryPrimitives.ReadInt32BigEndian(span);
            span = span[(4 + Math.Max(pathBytes, 0) + 1)..];
            count++;
        }
    }
}
