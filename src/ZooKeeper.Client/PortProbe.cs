using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ZooKeeper.Client;

/// <summary>
/// Asks a server that hung up on the handshake whether it speaks ZooKeeper in the other protocol (TLS for a plaintext
/// client, plaintext for a TLS client). A server hangs up the same way for passing reasons too (it is not serving
/// yet, or a proxy in front of it has no backend), so only a ZooKeeper connect response in the other protocol tells
/// a wrong port from a bad moment. The probe asks for a new session and closes it at once; it sends nothing of the
/// caller's: no session id, password, credentials or client certificate.
/// </summary>
internal static class PortProbe
{
    /// <summary>The session timeout the probe asks for; the server raises it to its minimum, so a probe session that is not closed goes soon.</summary>
    private const int ProbeSessionTimeoutMs = 1;

    /// <summary>The smallest connect response: protocol version, timeout, session id and the 16-byte password with its length.</summary>
    private const int ConnectResponseBytesMin = 4 + 4 + 8 + 4 + WireLimits.PasswordBytes;

    /// <summary>
    /// True when the server on <paramref name="socket"/> answers a connect request in the other protocol: over TLS
    /// when <paramref name="overTls"/>, else in plaintext; over TLS, a server that answers the hello in TLS and then
    /// refuses the handshake (it needs a client certificate, which the probe does not show) counts too. Every other
    /// failure means no; <paramref name="timeout"/> bounds each read and write.
    /// </summary>
    public static bool AnswersIn(Socket socket, ServerAddress server, bool overTls, TimeSpan timeout)
    {
        socket.ReceiveTimeout = socket.SendTimeout = (int)Math.Clamp(timeout.TotalMilliseconds, 1, int.MaxValue);
        var received = new FirstBytesStream(new NetworkStream(socket, ownsSocket: false));
        Stream stream = received;
        try
        {
            if (overTls)
            {
                // Any certificate will do: the question is only whether the port speaks TLS, and nothing secret
                // crosses this connection.
                var tls = new SslStream(stream, leaveInnerStreamOpen: false, static (_, _, _, _) => true);
                stream = tls;
                tls.AuthenticateAsClient(new SslClientAuthenticationOptions
                {
                    TargetHost = server.Host,
                    CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
                });
            }

            var request = Session.ConnectRequest(lastZxid: 0, ProbeSessionTimeoutMs, sessionId: 0, new byte[WireLimits.PasswordBytes]);
            stream.Write(request.ToFrame(), 0, request.Length);
            var reader = new FrameReader(stream, 1024);
            var response = reader.ReadFrame();
            if (reader.OversizedLength >= 0 || response.Length < ConnectResponseBytesMin)
            {
                return false;
            }

            var reply = new JuteReader(response);
            reply.ReadInt();
            reply.ReadInt();
            var sessionId = reply.ReadLong();
            if (sessionId == 0 || reply.ReadBuffer() is not { Length: WireLimits.PasswordBytes })
            {
                return false;
            }

            CloseProbeSession(stream, reader);
            return true;
        }
        catch (AuthenticationException) when (received.StartsWithTlsHandshakeRecord)
        {
            // The server answered in TLS, then refused the probe, which has no client certificate to show: a TLS
            // port that needs one.
            return true;
        }
        catch (Exception e) when (e is SocketException or IOException or ProtocolException or AuthenticationException or ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            stream.Dispose();
        }
    }

    /// <summary>Closes the probe's session and waits for the answer (or the read timeout), so that it does not linger on the server.</summary>
    private static void CloseProbeSession(Stream stream, FrameReader reader)
    {
        var close = Request.Begin(OpCode.CloseSession);
        var frame = close.ToFrame();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(frame.AsSpan(4), 1);
        stream.Write(frame, 0, close.Length);
        reader.ReadFrame();
    }

    /// <summary>
    /// A stream that keeps the first two bytes the server sent, to tell a TLS answer from anything else: the TLS
    /// library reports a refusal after the server's hello (which a server that needs a client certificate gives)
    /// with the same exception as a handshake with something that is not TLS at all.
    /// </summary>
    private sealed class FirstBytesStream(Stream inner) : Stream
    {
        private readonly byte[] _first = new byte[2];
        private int _kept;

        /// <summary>True when the server's first bytes are a TLS handshake record's: content type 22, major version 3.</summary>
        public bool StartsWithTlsHandshakeRecord => _kept == 2 && _first[0] == 0x16 && _first[1] == 3;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var count = inner.Read(buffer);
            Keep(buffer[..count]);
            return count;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var count = await inner.ReadAsync(buffer, cancellationToken).ConfigureAwait(false);
            Keep(buffer.Span[..count]);
            return count;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);

        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) =>
            inner.WriteAsync(buffer, cancellationToken);

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            inner.WriteAsync(buffer, offset, count, cancellationToken);

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private void Keep(ReadOnlySpan<byte> bytes)
        {
            var take = Math.Min(bytes.Length, _first.Length - _kept);
            bytes[..take].CopyTo(_first.AsSpan(_kept));
            _kept += take;
        }
    }
}
