using System.Buffers.Binary;
using System.Net.Sockets;

namespace ZooKeeper.Client;

/// <summary>The session thread: connect, serve, reconnect, and end in a terminal state.</summary>
internal sealed partial class Session
{
    private enum Outcome
    {
        Failed,
        Served,
        Expired,
    }

    /// <summary>The read timeout of the negotiated session timeout (<see cref="SessionTimings"/>), at least 1 ms.</summary>
    private TimeSpan ReadTimeout => TimeSpan.FromTicks(Math.Max(SessionTimings.ReadTimeout(NegotiatedTimeout).Ticks, TimeSpan.TicksPerMillisecond));

    private TimeSpan ConnectTimeout =>
        TimeSpan.FromMilliseconds(Math.Max(Volatile.Read(ref _negotiatedMs) / _connection.Servers.Count, 100));

    /// <summary>
    /// How long a handshake's answer is waited for: the connect timeout, and for a session being resumed at most
    /// <see cref="SessionTimings.ResumeAnswerTimeout"/>, so that a server which took the connection but never answers
    /// cannot hold the client until the session has expired. A new session keeps the whole connect timeout: giving
    /// up on a slow answer there would leave the server a session nobody uses.
    /// </summary>
    private TimeSpan HandshakeAnswerTimeout => SessionId == 0
        ? ConnectTimeout
        : TimeSpan.FromMilliseconds(Math.Min(
            ConnectTimeout.TotalMilliseconds,
            Math.Max(SessionTimings.ResumeAnswerTimeout(NegotiatedTimeout).TotalMilliseconds, 100)));

    private void Run()
    {
        var final = ZooKeeperState.Closed;
        try
        {
            final = Loop();
        }
        finally
        {
            Terminate(final);
            _exited.TrySetResult();
        }
    }

    /// <summary>Tries servers in turn, starting at a random one, until the session ends; returns the terminal state.</summary>
    private ZooKeeperState Loop()
    {
        var servers = _connection.Servers;
        var index = _jitter.Next(servers.Count);
        var failuresInPass = 0;
        for (var attempt = 0; ; attempt++)
        {
            if (attempt > 0 && !Backoff(failuresInPass >= servers.Count))
            {
                return ZooKeeperState.Closed;
            }

            failuresInPass %= servers.Count;
            var refusalsBefore = _refusals;
            var outcome = ConnectAndServe(servers[index]);
            index = (index + 1) % servers.Count;
            _refusals = _refusals > refusalsBefore ? _refusals : 0;

            // A refusal that every server has given will be given again (a certificate refused by either side, a
            // port that speaks the other protocol): a first connect gives up with the reason rather than retrying
            // for ever. Once connected, the settings were right and a refusal is one server's fault; try the next.
            if (!_everConnected && _refusals >= servers.Count)
            {
                _gaveUp = servers.Count == 1
                    ? "the server refused the connection in a way that trying again will not change"
                    : $"all {servers.Count} servers refused the connection in a way that trying again will not change";
                return ZooKeeperState.Closed;
            }

            if (outcome == Outcome.Expired)
            {
                return ZooKeeperState.Expired;
            }

            if (_authFailed)
            {
                return ZooKeeperState.AuthFailed;
            }

            failuresInPass = outcome == Outcome.Failed ? failuresInPass + 1 : 0;
        }
    }

    /// <summary>Waits a random part of the reconnect delay (plus a whole one after a failed pass); false when closing.</summary>
    private bool Backoff(bool afterFullPass)
    {
        var max = _options.ReconnectDelayMax.TotalMilliseconds;
        var delay = (_jitter.NextDouble() * max) + (afterFullPass ? max : 0);
        lock (_sync)
        {
            if (!_closing)
            {
                Monitor.Wait(_sync, TimeSpan.FromMilliseconds(delay));
            }

            return !_closing;
        }
    }

    private Outcome ConnectAndServe(ServerAddress server)
    {
        lock (_sync)
        {
            if (_closing)
            {
                return Outcome.Failed;
            }
        }

        var (connection, expired) = TryConnect(server);
        if (expired)
        {
            return Outcome.Expired;
        }

        if (connection is null)
        {
            return Outcome.Failed;
        }

        Serve(connection);
        return Outcome.Served;
    }

    /// <summary>Opens a socket and performs the handshake within the connect timeout.</summary>
    private (Connection? Connection, bool Expired) TryConnect(ServerAddress server)
    {
        // The handshake's answer proves the session alive only from the moment it was asked for.
        Interlocked.Exchange(ref _connectStarted, _time.GetTimestamp());
        Telemetry.Connecting(server);
        Socket socket;
        try
        {
            socket = Connection.Open(server, ConnectTimeout);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            LastDisconnectReason = $"connecting to {server} failed: {e.Message}";
            Telemetry.ConnectFailed(LastDisconnectReason);
            return (null, false);
        }

        lock (_sync)
        {
            _connecting = socket;
        }

        Stream? stream = null;
        try
        {
            socket.ReceiveTimeout = socket.SendTimeout = (int)(_options.Tls?.HandshakeTimeout ?? ConnectTimeout).TotalMilliseconds;
            stream = new NetworkStream(socket, ownsSocket: false);
            if (_options.Tls is { } tls)
            {
                stream = TlsHandshake.Authenticate(stream, server, tls);
            }

            socket.ReceiveTimeout = socket.SendTimeout = (int)HandshakeAnswerTimeout.TotalMilliseconds;
            var reader = new FrameReader(stream, _options.FrameBytesMax);
            if (Handshake(stream, reader))
            {
                stream.Dispose();
                Connection.CloseQuietly(socket);
                return (null, true);
            }

            socket.ReceiveTimeout = 0;
            socket.SendTimeout = (int)ReadTimeout.TotalMilliseconds;
            return (new Connection(socket, stream, reader, server, WakeWriter), false);
        }
        catch (TlsRefusedException e)
        {
            _refusals++;
            LastDisconnectReason = $"the TLS handshake with {server} failed: {e.Message}";
            Telemetry.ConnectFailed(LastDisconnectReason);
            stream?.Dispose();
            Connection.CloseQuietly(socket);
            return (null, false);
        }
        catch (Exception e) when (e is SocketException or IOException or ProtocolException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            stream?.Dispose();
            Connection.CloseQuietly(socket);
            LastDisconnectReason = HandshakeFailure(server, e);
            Telemetry.ConnectFailed(LastDisconnectReason);
            return (null, false);
        }
        finally
        {
            lock (_sync)
            {
                _connecting = null;
            }
        }
    }

    /// <summary>
    /// Why a handshake failed, counting the failures that will not change on a retry as refusals: a server that
    /// refused the TLS handshake (it needs a client certificate the client lacks, or speaks no protocol version the
    /// client does), and a server that hung up on the handshake but answers in the other protocol (a plaintext
    /// client on a TLS port, a TLS client on a plaintext port). Before the first connect only: afterwards the
    /// settings have been seen to work.
    /// </summary>
    private string HandshakeFailure(ServerAddress server, Exception e)
    {
        var overTls = _options.Tls is not null;
        var reason = $"{(overTls ? "the TLS handshake" : "the handshake")} with {server} failed: {Describe(e)}";
        if (overTls && e is System.Security.Authentication.AuthenticationException)
        {
            _refusals++;
            return _options.Tls is { ClientCertificate: null }
                ? $"{reason}; the server refused the TLS handshake, as one that needs a client certificate does: set ZooKeeperTlsOptions.ClientCertificate"
                : $"{reason}; the server refused the TLS handshake (its log says why: the client certificate, or no common protocol version)";
        }

        if (_everConnected || !HungUp(e) || !AnswersInTheOtherProtocol(server))
        {
            return reason;
        }

        _refusals++;
        return overTls
            ? $"{reason}: {server} is a plaintext port (clientPort), which hangs up on TLS and answers in plaintext; connect to the server's secureClientPort, or leave ZooKeeperClientOptions.Tls unset"
            : $"{reason} before answering: {server} is a TLS port (secureClientPort), which hangs up on plaintext and answers over TLS; set ZooKeeperClientOptions.Tls, or connect to the server's plaintext clientPort";
    }

    /// <summary>True when the server ended the connection (rather than the attempt timing out or breaking locally).</summary>
    private static bool HungUp(Exception e) => e switch
    {
        ProtocolException protocol => protocol.Message is FrameReader.ClosedMessage or FrameReader.TlsRecordMessage,
        SocketException socket => socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted,
        IOException { InnerException: SocketException socket } => socket.SocketErrorCode is SocketError.ConnectionReset or SocketError.ConnectionAborted,

        // SslStream reports the peer's end of the stream in the middle of the handshake as a bare IOException.
        IOException { InnerException: null } => true,
        _ => false,
    };

    /// <summary>Runs <see cref="PortProbe"/> on a new connection to <paramref name="server"/>, which closing the client aborts.</summary>
    private bool AnswersInTheOtherProtocol(ServerAddress server)
    {
        Socket socket;
        try
        {
            socket = Connection.Open(server, ConnectTimeout);
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return false;
        }

        lock (_sync)
        {
            if (_closing)
            {
                socket.Dispose();
                return false;
            }

            _connecting = socket;
        }

        try
        {
            return PortProbe.AnswersIn(socket, server, overTls: _options.Tls is null, ConnectTimeout);
        }
        finally
        {
            Connection.CloseQuietly(socket);
        }
    }

    /// <summary>The exception's message, with its inner ones (a TLS failure's cause is often one level down).</summary>
    private static string Describe(Exception e) =>
        e.InnerException is { } inner && !e.Message.Contains(inner.Message, StringComparison.Ordinal) ? $"{e.Message} ({Describe(inner)})" : e.Message;

    /// <summary>Sends ConnectRequest and reads ConnectResponse; true when the server says the session is gone.</summary>
    private bool Handshake(Stream stream, FrameReader reader)
    {
        var request = ConnectRequest(LastZxid, (int)_options.SessionTimeout.TotalMilliseconds, SessionId, _password);
        var frame = request.ToFrame();
        stream.Write(frame, 0, request.Length);

        var response = reader.ReadFrame();
        if (reader.OversizedLength >= 0)
        {
            throw new ProtocolException($"the connect response is {reader.OversizedLength} bytes, over the {_options.FrameBytesMax}-byte frame limit");
        }

        var reply = new JuteReader(response);
        reply.ReadInt();
        var timeoutMs = reply.ReadInt();
        var sessionId = reply.ReadLong();
        var password = reply.ReadBuffer();
        // An expired, closed or unknown session is answered with a zero timeout and a zero id (Java checks one, go the other).
        if (timeoutMs <= 0 || sessionId == 0)
        {
            return true;
        }

        if (password is not { Length: WireLimits.PasswordBytes })
        {
            throw new ProtocolException($"the session password has {password?.Length ?? -1} bytes, not {WireLimits.PasswordBytes}");
        }

        Interlocked.Exchange(ref _sessionId, sessionId);
        _password = password;
        Volatile.Write(ref _negotiatedMs, timeoutMs);
        return false;
    }

    /// <summary>Publishes the connection, runs its reader and writer until it dies, then fails what was in flight.</summary>
    private void Serve(Connection connection)
    {
        lock (_sync)
        {
            if (_closing)
            {
                connection.Kill("the client was closed");
                return;
            }

            _current = connection;
            _state = ZooKeeperState.Connected;
            QueueSessionRestore();
        }

        var now = _time.GetTimestamp();
        Interlocked.Exchange(ref _lastHeard, now);
        Interlocked.Exchange(ref _lastSend, now);
        _pingsInFlight.Clear();
        Confirm(Interlocked.Read(ref _connectStarted));
        Interlocked.Exchange(ref _connectAccepted, Interlocked.Read(ref _connectStarted));
        Volatile.Write(ref _hasConnectAccepted, 1);
        Telemetry.State(ZooKeeperState.Connected);
        if (_everConnected)
        {
            Telemetry.Reconnected();
            Telemetry.ReconnectedTo(SessionId, connection.Server, Volatile.Read(ref _negotiatedMs));
        }
        else
        {
            Telemetry.Connected(SessionId, connection.Server, Volatile.Read(ref _negotiatedMs));
        }

        RaiseState(_everConnected ? SessionEvent.Reconnected : SessionEvent.Connected);
        _everConnected = true;
        _firstConnect.TrySetResult();

        var readerThread = new Thread(() => ReadLoop(connection)) { IsBackground = true, Name = "zookeeper-reader" };
        readerThread.Start();
        WriteLoop(connection);
        readerThread.Join();
        FailInFlight(connection.Reason ?? "the connection ended");
    }

    /// <summary>Fails every request sent or queued: the outcome of each write is unknown, and none is replayed.</summary>
    private void FailInFlight(string reason)
    {
        List<Request> failed;
        bool suspended;
        lock (_sync)
        {
            _current = null;
            LastDisconnectReason = reason;
            // The waiting requests were accepted for this connection too: they fail with it, in order, never
            // to be sent on the next one (a write's caller decides whether to send it again).
            failed = [.. _authPending, .. _pending, .. _waiting];
            _authPending.Clear();
            _pending.Clear();
            _waiting.Clear();
            _outgoing.Clear();
            suspended = !_closing && !_authFailed;
            if (suspended)
            {
                _state = ZooKeeperState.Suspended;
            }
        }

        var code = _authFailed ? ErrorCode.AuthFailed : ErrorCode.ConnectionLoss;
        if (suspended)
        {
            Telemetry.State(ZooKeeperState.Suspended);
            Telemetry.Disconnected();
            Telemetry.ConnectionDropped(SessionId, reason, failed.Count(r => r.Counted));
        }

        // Suspended is raised before the failures, so that a caller sees why its requests failed.
        if (suspended)
        {
            RaiseState(SessionEvent.Suspended);
        }

        foreach (var request in failed)
        {
            if (request.Counted)
            {
                Telemetry.Dropped(request.Op, code);
            }

            request.SetFailure(KeeperException.Create(code, request.Path, reason));
            Dispatcher.Post(request);
        }
    }

    /// <summary>Queues the remembered auth packets, then setWatches for every armed watch (called under the lock, before any request).</summary>
    private void QueueSessionRestore()
    {
        foreach (var (scheme, auth) in _auths)
        {
            var request = new SilentRequest(OpCode.Auth, AuthFrame(scheme, auth)) { Xid = Xids.Auth };
            BinaryPrimitives.WriteInt32BigEndian(request.Frame.AsSpan(4), Xids.Auth);
            _authPending.Enqueue(request);
            _outgoing.Enqueue(request);
        }

        foreach (var frame in SetWatchesFrames())
        {
            var request = new SilentRequest(OpCode.SetWatches, frame) { Xid = Xids.SetWatches };
            BinaryPrimitives.WriteInt32BigEndian(request.Frame.AsSpan(4), Xids.SetWatches);
            _pending.Enqueue(request);
            _outgoing.Enqueue(request);
        }
    }

    /// <summary>A connect request: protocol version 0, the last zxid seen, the session timeout asked for, the session to resume (0 for a new one) and its password.</summary>
    internal static JuteWriter ConnectRequest(long lastZxid, int sessionTimeoutMs, long sessionId, byte[] password)
    {
        var request = new JuteWriter(64);
        request.WriteInt(0);
        request.WriteLong(lastZxid);
        request.WriteInt(sessionTimeoutMs);
        request.WriteLong(sessionId);
        request.WriteBuffer(password);
        request.WriteBool(false);
        return request;
    }

    internal static JuteWriter AuthFrame(string scheme, byte[] auth)
    {
        var writer = Request.Begin(OpCode.Auth);
        writer.WriteInt(0);
        writer.WriteString(scheme);
        writer.WriteBuffer(auth);
        return writer;
    }

    /// <summary>setWatches requests re-arming every watch from the last zxid seen, split so that none is too large.</summary>
    private List<JuteWriter> SetWatchesFrames()
    {
        var (data, exist, child) = Watches.Snapshot();
        var frames = new List<JuteWriter>();
        var batch = (Data: new List<string>(), Exist: new List<string>(), Child: new List<string>());
        var bytes = 0;
        foreach (var (list, pick) in new (List<string>, int)[] { (data, 0), (exist, 1), (child, 2) })
        {
            foreach (var path in list)
            {
                var serverPath = _connection.ToServerPath(path);
                if (bytes + serverPath.Length + 4 > WireLimits.SetWatchesBatchBytesMax && bytes > 0)
                {
                    frames.Add(SetWatchesFrame(batch.Data, batch.Exist, batch.Child));
                    batch = ([], [], []);
                    bytes = 0;
                }

                (pick == 0 ? batch.Data : pick == 1 ? batch.Exist : batch.Child).Add(serverPath);
                bytes += (serverPath.Length * 3) + 4;
            }
        }

        if (bytes > 0)
        {
            frames.Add(SetWatchesFrame(batch.Data, batch.Exist, batch.Child));
        }

        return frames;
    }

    private JuteWriter SetWatchesFrame(List<string> data, List<string> exist, List<string> child)
    {
        var writer = Request.Begin(OpCode.SetWatches);
        writer.WriteLong(LastZxid);
        writer.WriteStrings(data);
        writer.WriteStrings(exist);
        writer.WriteStrings(child);
        return writer;
    }

    private void WakeWriter()
    {
        lock (_sync)
        {
            Monitor.PulseAll(_sync);
        }
    }

    /// <summary>Ends the session in a terminal state: fails leftovers, fires watches on expiry, raises the event.</summary>
    private void Terminate(ZooKeeperState final)
    {
        if (_authFailed)
        {
            final = ZooKeeperState.AuthFailed;
        }

        lock (_sync)
        {
            _state = final;
            _current = null;
        }

        var (sessionEvent, code) = final switch
        {
            ZooKeeperState.Expired => (SessionEvent.Expired, ErrorCode.SessionExpired),
            ZooKeeperState.AuthFailed => (SessionEvent.AuthFailed, ErrorCode.AuthFailed),
            _ => (SessionEvent.Closed, ErrorCode.ConnectionLoss),
        };
        if (final == ZooKeeperState.Expired)
        {
            LastDisconnectReason = "the server expired the session";
            var watchers = Watches.TakeAll();
            if (watchers.Count > 0)
            {
                Dispatcher.Post(new WatchDelivery(watchers, new WatchedEvent(EventType.None, KeeperState.Expired, null)));
            }
        }

        Telemetry.State(final);
        switch (final)
        {
            case ZooKeeperState.Expired:
                Telemetry.Expired(SessionId);
                break;
            case ZooKeeperState.AuthFailed:
                Telemetry.AuthFailed(SessionId);
                break;
            default:
                Telemetry.Closed(SessionId);
                break;
        }

        RaiseState(sessionEvent);
        var why = LastDisconnectReason is { } reason ? $"; the last attempt: {reason}" : "";
        var what = _gaveUp is { } gaveUp ? $"gave up connecting: {gaveUp}" : $"the session ended ({final}) before it connected";
        _firstConnect.TrySetException(KeeperException.Create(code, null, what + why));
    }
}
