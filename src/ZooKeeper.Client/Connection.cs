using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ZooKeeper.Client;

/// <summary>
/// Reads length-prefixed frames from a blocking socket into one reusable buffer, which never grows
/// past the frame limit plus its prefix; a negative length or a stream that ends early is a fault. A frame
/// longer than the limit is not buffered: its reply header is kept and the rest is read and dropped, so the
/// one request it answers can fail on its own and the connection lives on. The stream is the socket's own, or
/// TLS over it.
/// </summary>
internal sealed class FrameReader(Stream stream, int frameBytesMax)
{
    /// <summary>The first byte of a TLS alert record, which a TLS server sends to a client that spoke plaintext.</summary>
    private const byte TlsAlertRecord = 0x15;

    /// <summary>The reason when the server closed the connection between frames.</summary>
    public const string ClosedMessage = "the server closed the connection";

    /// <summary>The reason when a plaintext client is answered with a TLS alert.</summary>
    public const string TlsRecordMessage = "the server answered with a TLS record: this is a TLS port (secureClientPort); set ZooKeeperClientOptions.Tls";

    /// <summary>The reply header's size: xid, zxid and error code.</summary>
    private const int ReplyHeaderBytes = 16;

    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;

    /// <summary>The length of the last frame when it was over the limit (only its header was returned); otherwise -1.</summary>
    public int OversizedLength { get; private set; } = -1;

    /// <summary>
    /// Blocks until a whole frame has arrived and returns it; valid until the next call. For a frame over the limit
    /// it returns the frame's first 16 bytes (a reply header) and sets <see cref="OversizedLength"/>.
    /// </summary>
    public ReadOnlySpan<byte> ReadFrame()
    {
        OversizedLength = -1;
        Fill(4);
        var length = BinaryPrimitives.ReadInt32BigEndian(_buffer.AsSpan(_start, 4));
        if (_buffer[_start] == TlsAlertRecord && _buffer[_start + 1] == 3)
        {
            throw new ProtocolException(TlsRecordMessage);
        }

        if (length < 0 || (length > frameBytesMax && (length < ReplyHeaderBytes || length > WireLimits.SkippedFrameBytesMax)))
        {
            throw new ProtocolException($"the server sent a frame length of {length}, outside [0, {frameBytesMax}]");
        }

        if (length > frameBytesMax)
        {
            Fill(4 + ReplyHeaderBytes);
            var header = _buffer.AsSpan(_start + 4, ReplyHeaderBytes).ToArray();
            _start += 4 + ReplyHeaderBytes;
            Skip(length - ReplyHeaderBytes);
            OversizedLength = length;
            return header;
        }

        Fill(4 + length);
        var frame = _buffer.AsSpan(_start + 4, length);
        _start += 4 + length;
        return frame;
    }

    /// <summary>Reads and drops <paramref name="count"/> bytes, using the buffer as scratch space.</summary>
    private void Skip(int count)
    {
        int buffered = Math.Min(count, _end - _start);
        _start += buffered;
        count -= buffered;
        if (_start == _end)
        {
            _start = _end = 0;
        }

        // Everything buffered was consumed when bytes remain, so the whole buffer is free scratch space.
        while (count > 0)
        {
            var received = stream.Read(_buffer, 0, Math.Min(count, _buffer.Length));
            if (received == 0)
            {
                throw new ProtocolException($"the server closed the connection inside an oversized frame ({count} bytes short)");
            }

            count -= received;
        }
    }

    /// <summary>Receives until at least <paramref name="count"/> unread bytes are buffered.</summary>
    private void Fill(int count)
    {
        if (_end - _start >= count)
        {
            return;
        }

        MakeRoom(count);
        while (_end - _start < count)
        {
            var received = stream.Read(_buffer, _end, _buffer.Length - _end);
            if (received == 0)
            {
                throw new ProtocolException(_end == _start
                    ? ClosedMessage
                    : $"the server closed the connection inside a frame ({_end - _start} of {count} bytes)");
            }

            _end += received;
        }
    }

    private void MakeRoom(int count)
    {
        if (_buffer.Length - _start >= count)
        {
            return;
        }

        var target = _buffer.Length >= count ? _buffer : new byte[Math.Max(count, Math.Min(_buffer.Length * 2, frameBytesMax + 4))];
        Buffer.BlockCopy(_buffer, _start, target, 0, _end - _start);
        _end -= _start;
        _start = 0;
        _buffer = target;
    }
}

/// <summary>
/// One TCP connection to one server, plaintext or TLS (<paramref name="stream"/> is then the TLS stream over the
/// socket). Writes happen only on the session thread; reads only on the connection's reader thread (TLS allows one
/// of each at a time). <see cref="Kill"/> is the single way a connection ends: it records the first reason and
/// closes the socket, which also wakes a blocked reader.
/// </summary>
internal sealed class Connection(Socket socket, Stream stream, FrameReader reader, ServerAddress server, Action onDead)
{
    private readonly object _killLock = new();
    private byte[] _sendBuffer = new byte[64 * 1024];
    private int _dead;

    public ServerAddress Server { get; } = server;

    public FrameReader Reader { get; } = reader;

    public bool IsDead => Volatile.Read(ref _dead) != 0;

    /// <summary>Why the connection ended; null while it is alive.</summary>
    public string? Reason { get; private set; }

    public void Kill(string reason)
    {
        lock (_killLock)
        {
            if (_dead != 0)
            {
                return;
            }

            Reason = reason;
            Volatile.Write(ref _dead, 1);
        }

        CloseQuietly(socket);
        stream.Dispose();
        onDead();
    }

    /// <summary>Sends frames in one write where they fit; a failed write kills the connection (a partial frame cannot be taken back).</summary>
    public void Send(IReadOnlyList<Request> batch)
    {
        var length = 0;
        foreach (var request in batch)
        {
            if (length + request.FrameLength > _sendBuffer.Length)
            {
                if (!Write(_sendBuffer, length))
                {
                    return;
                }

                length = 0;
                EnsureCapacity(request.FrameLength);
            }

            Buffer.BlockCopy(request.Frame, 0, _sendBuffer, length, request.FrameLength);
            length += request.FrameLength;
        }

        Write(_sendBuffer, length);
    }

    /// <summary>True when a small write would not wait for buffer space.</summary>
    public bool IsWritable()
    {
        try
        {
            return !IsDead && socket.Poll(0, SelectMode.SelectWrite);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public bool Write(byte[] bytes, int count)
    {
        try
        {
            stream.Write(bytes, 0, count);
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException or NotSupportedException)
        {
            Kill($"writing to {Server} failed: {e.Message}");
            return false;
        }
    }

    /// <summary>
    /// Opens a TCP connection within <paramref name="timeout"/> without blocking on an unbounded connect,
    /// trying each address the host resolves to (localhost may give ::1 before 127.0.0.1).
    /// </summary>
    public static Socket Open(ServerAddress server, TimeSpan timeout)
    {
        var addresses = IPAddress.TryParse(server.Host, out var parsed) ? [parsed] : Dns.GetHostAddresses(server.Host);
        if (addresses.Length == 0)
        {
            throw new SocketException((int)SocketError.HostNotFound);
        }

        Exception? last = null;
        foreach (var address in addresses)
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                ConnectWithin(socket, new IPEndPoint(address, server.Port), timeout / addresses.Length);
                return socket;
            }
            catch (Exception e) when (e is SocketException or IOException)
            {
                socket.Dispose();
                last = e;
            }
        }

        // The caller says which server it was; this says only why.
        throw new IOException(addresses.Length == 1 ? last!.Message : $"{string.Join(", ", addresses.Select(a => a.ToString()))}: {last!.Message}", last);
    }

    public static void CloseQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed by the peer or by us: closing is what we wanted.
        }

        socket.Dispose();
    }

    private static void ConnectWithin(Socket socket, IPEndPoint endPoint, TimeSpan timeout)
    {
        socket.Blocking = false;
        try
        {
            socket.Connect(endPoint);
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
        {
            var micros = (int)Math.Clamp(timeout.TotalMicroseconds, 1, int.MaxValue);
            if (!socket.Poll(micros, SelectMode.SelectWrite))
            {
                throw new SocketException((int)SocketError.TimedOut);
            }

            var error = (int)socket.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error)!;
            if (error != 0)
            {
                throw new SocketException(error);
            }
        }

        socket.Blocking = true;
    }

    private void EnsureCapacity(int count)
    {
        if (_sendBuffer.Length < count)
        {
            _sendBuffer = new byte[count];
        }
    }
}
