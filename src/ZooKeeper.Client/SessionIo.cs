using System.Net.Sockets;

namespace ZooKeeper.Client;

/// <summary>The writer (on the session thread) and the reader (on its own thread) of one live connection.</summary>
internal sealed partial class Session
{
    /// <summary>
    /// Sends queued requests in batches, pings when idle for half the read timeout (or 10 s), and kills
    /// the connection when nothing has been heard for the read timeout (two thirds of the session timeout).
    /// </summary>
    private void WriteLoop(Connection connection)
    {
        var readTimeout = ReadTimeout;
        var pingInterval = SessionTimings.PingInterval(NegotiatedTimeout);
        var batch = new List<Request>();
        while (true)
        {
            batch.Clear();
            lock (_sync)
            {
                WaitForWork(connection, readTimeout, pingInterval);
                if (connection.IsDead)
                {
                    return;
                }

                while (_outgoing.TryDequeue(out var request))
                {
                    batch.Add(request);
                }
            }

            var now = _time.GetTimestamp();
            var silence = _time.GetElapsedTime(LastHeardTimestamp, now);
            if (silence > readTimeout)
            {
                connection.Kill($"nothing heard from {connection.Server} for {silence.TotalMilliseconds:F0} ms (read timeout {readTimeout.TotalMilliseconds:F0} ms)");
                return;
            }

            if (batch.Count > 0)
            {
                connection.Send(batch);
                Interlocked.Exchange(ref _lastSend, now);
            }
            else if (_time.GetElapsedTime(Interlocked.Read(ref _lastSend), now) >= pingInterval)
            {
                _pingsInFlight.Enqueue(now);
                connection.Write(PingFrame, PingFrame.Length);
                Interlocked.Exchange(ref _lastSend, now);
            }
        }
    }

    /// <summary>Waits (holding the lock's monitor) until there is something to send, a ping or timeout check is due, or the connection died.</summary>
    private void WaitForWork(Connection connection, TimeSpan readTimeout, TimeSpan pingInterval)
    {
        while (_outgoing.Count == 0 && !connection.IsDead)
        {
            var now = _time.GetTimestamp();
            var untilPing = pingInterval - _time.GetElapsedTime(Interlocked.Read(ref _lastSend), now);
            var untilTimeout = readTimeout - _time.GetElapsedTime(LastHeardTimestamp, now);
            var wait = untilPing < untilTimeout ? untilPing : untilTimeout;
            if (wait <= TimeSpan.Zero)
            {
                return;
            }

            _writerWaiting = true;
            Monitor.Wait(_sync, wait < TimeSpan.FromMilliseconds(1) ? TimeSpan.FromMilliseconds(1) : wait);
            _writerWaiting = false;
        }
    }

    /// <summary>Reads frames until the connection dies; any fault in what arrives kills it.</summary>
    private void ReadLoop(Connection connection)
    {
        try
        {
            while (!connection.IsDead)
            {
                var frame = connection.Reader.ReadFrame();
                Interlocked.Exchange(ref _lastHeard, _time.GetTimestamp());
                if (connection.Reader.OversizedLength >= 0)
                {
                    HandleOversizedReply(frame, connection.Reader.OversizedLength);
                }
                else
                {
                    HandleFrame(frame, connection);
                }
            }
        }
        catch (ProtocolException e)
        {
            connection.Kill($"dropped the connection to {connection.Server}: {e.Message}");
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            connection.Kill($"reading from {connection.Server} failed: {e.Message}");
        }
    }

    private void HandleFrame(ReadOnlySpan<byte> frame, Connection connection)
    {
        var reader = new JuteReader(frame);
        var xid = reader.ReadInt();
        var zxid = reader.ReadLong();
        var err = reader.ReadInt();
        switch (xid)
        {
            case Xids.Ping:
                if (_pingsInFlight.TryDequeue(out var pingSent))
                {
                    Confirm(pingSent);
                }

                return;
            case Xids.Notification:
                HandleNotification(ref reader);
                return;
            case Xids.Auth:
                HandleAuthReply(err, connection);
                return;
            default:
                HandleReply(xid, zxid, err, ref reader);
                return;
        }
    }

    /// <summary>
    /// A reply over the frame limit was dropped unread: the request it answers fails with a
    /// <see cref="ReplyTooLargeException"/> naming the size and the limit, and the connection goes on. Only a reply
    /// to a request can be that large; any other oversized frame is a fault.
    /// </summary>
    private void HandleOversizedReply(ReadOnlySpan<byte> header, int length)
    {
        var reader = new JuteReader(header);
        var xid = reader.ReadInt();
        if (xid < 0)
        {
            throw new ProtocolException($"a frame of {length} bytes with xid {xid}, over the {_options.FrameBytesMax}-byte limit");
        }

        Request head;
        lock (_sync)
        {
            if (!_pending.TryPeek(out head!) || head.Xid != xid)
            {
                throw new ProtocolException($"an oversized reply with xid {xid} does not match the in-flight queue");
            }

            _pending.Dequeue();
            SendWaiting();
        }

        Confirm(head.SubmittedTimestamp);
        Interlocked.Increment(ref _repliesTooLarge);
        head.SetFailure(new ReplyTooLargeException(head.Path, length, _options.FrameBytesMax));
        Dispatcher.Post(head);
    }

    /// <summary>Matches a reply to the head of the in-flight FIFO, decodes it, arms its watch, and posts its completion.</summary>
    private void HandleReply(int xid, long zxid, int err, ref JuteReader body)
    {
        Request head;
        lock (_sync)
        {
            if (!_pending.TryPeek(out head!))
            {
                throw new ProtocolException($"a reply with xid {xid} arrived with no request in flight");
            }

            if (head.Xid != xid)
            {
                throw new ProtocolException($"a reply with xid {xid} arrived while xid {head.Xid} heads the in-flight queue");
            }

            _pending.Dequeue();
            SendWaiting();
        }

        Confirm(head.SubmittedTimestamp);

        if (zxid > 0)
        {
            Interlocked.Exchange(ref _lastZxid, Math.Max(zxid, LastZxid));
        }

        try
        {
            head.OnReply(err, zxid, ref body);
        }
        catch (Exception e)
        {
            var fault = e as ProtocolException ?? new ProtocolException(e.Message);
            var reason = $"dropped the connection: the reply to xid {xid} could not be decoded: {fault.Message}";
            if (head.Counted)
            {
                Telemetry.Dropped(head.Op, ErrorCode.ConnectionLoss);
            }

            head.SetFailure(KeeperException.Create(ErrorCode.ConnectionLoss, head.Path, reason));
            Dispatcher.Post(head);
            throw new ProtocolException($"the reply to xid {xid} could not be decoded: {fault.Message}");
        }

        if (head.Counted)
        {
            Telemetry.Answered(head.Op, head.SubmittedTimestamp, head.HasError ? (ErrorCode)err : null);
        }

        // The watch is armed before anything later is read, so a notification right after this reply finds it.
        if (head.Watch is { } watch && watch.KindFor(err) is { } kind)
        {
            Watches.Add(kind, watch.Path, watch.Callback);
        }

        Dispatcher.Complete(head);
    }

    private void HandleNotification(ref JuteReader body)
    {
        var type = (EventType)body.ReadInt();
        var state = (KeeperState)body.ReadInt();
        var serverPath = body.ReadString() ?? throw new ProtocolException("a notification without a path");
        var path = _connection.ToClientPath(serverPath);
        var fired = Watches.Take(type, path);
        if (fired.Count > 0)
        {
            Dispatcher.Post(new WatchDelivery(fired, new WatchedEvent(type, state, path)));
        }
    }

    /// <summary>Auth replies come outside the FIFO; a refusal ends the session (the server closes the socket too).</summary>
    private void HandleAuthReply(int err, Connection connection)
    {
        Request? auth;
        lock (_sync)
        {
            _authPending.TryDequeue(out auth);
        }

        if (auth is { Counted: true })
        {
            Telemetry.Answered(auth.Op, auth.SubmittedTimestamp, err == 0 ? null : (ErrorCode)err);
        }

        if (err == (int)ErrorCode.AuthFailed)
        {
            _authFailed = true;
            auth?.SetFailure(KeeperException.Create(ErrorCode.AuthFailed, null, "the server refused the credentials"));
            if (auth is not null)
            {
                Dispatcher.Post(auth);
            }

            connection.Kill("the server refused the credentials");
            return;
        }

        if (auth is not null)
        {
            var empty = new JuteReader([]);
            auth.OnReply(err, 0, ref empty);
            Dispatcher.Post(auth);
        }
    }

    /// <summary>
    /// Moves <see cref="LastConfirmedTimestamp"/> forward to <paramref name="sent"/>, the sending time of a request or
    /// ping the server has just answered. Notifications and other unsolicited frames never count: a server sends
    /// watch events to a session it is expiring, and a paused process reads them long after they were sent.
    /// </summary>
    private void Confirm(long sent)
    {
        var seen = Interlocked.Read(ref _lastConfirmed);
        while (sent > seen)
        {
            var was = Interlocked.CompareExchange(ref _lastConfirmed, sent, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
