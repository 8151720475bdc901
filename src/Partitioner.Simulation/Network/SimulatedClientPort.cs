using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;
using Partitioner.ZooKeeper.Port;
using ZooKeeper.Client;

namespace Partitioner.Simulation.Network;

/// <summary>What a reconnecting client does with the watches it had.</summary>
public enum WatchReconnectMode
{
    /// <summary>Keep them and re-arm them on the server with setWatches, as the Java and Go clients do.</summary>
    Rearm,

    /// <summary>Fire each with <see cref="WatchEventKind.Disconnected"/> on disconnect and forget it, as kazoo does.</summary>
    FireDisconnected,
}

/// <summary>Where a simulated client stands.</summary>
public enum ClientState
{
    /// <summary>A connect attempt is under way.</summary>
    Connecting,

    /// <summary>Connected; requests go to the server.</summary>
    Connected,

    /// <summary>Between connect attempts.</summary>
    Disconnected,

    /// <summary>The server said the session expired; terminal.</summary>
    Expired,

    /// <summary>The client closed the session; terminal.</summary>
    Closed,
}

/// <summary>
/// A ZooKeeper client session as one member's process sees it, behind the shell's port. It behaves as
/// ZooKeeper's client does: requests travel to the in-memory server over a <see cref="SimConnection"/>
/// and complete in request order; notifications are read in the order the server sent them, so one
/// caused by this session's write comes before that write's reply; by the client's own rules (its SessionTimings)
/// it pings when it has sent nothing for a third of the timeout, and when it has heard nothing for two thirds of the timeout it drops
/// the connection, fails pending requests with ConnectionLoss, reports Suspended and reconnects, which
/// ends in Reconnected (same session) or Expired. Requests made while not connected fail at once with
/// ConnectionLoss (the Java client queues them and fails them on the next failed attempt; the recipes
/// cannot tell the difference). Every task completes, and every callback runs, inside a scheduler step
/// of this member's process, never inside the call that made the request.
/// </summary>
public sealed partial class SimulatedClientPort : IZooKeeperPort
{
    private readonly SimNetwork _network;
    private readonly SimProcess _process;
    private readonly VirtualTimeProvider _clock;
    private readonly TimeSpan _requestedTimeout;
    private readonly Queue<PendingRequest> _pending = new();
    private readonly WatchTable _watches = new();
    private SimConnection? _connection;
    private Action? _onFirstConnect;
    private ScheduledAction? _readCheck;
    private ScheduledAction? _pingCheck;
    private ScheduledAction? _connectDeadline;
    private long _lastSendTicks;
    private long _lastReceivedTimestamp;
    private long _connectSentTimestamp;
    private int _nextXid = 1;

    /// <summary>Creates a client in <paramref name="process"/>; call <see cref="Start"/> to connect.</summary>
    public SimulatedClientPort(SimNetwork network, SimProcess process, VirtualTimeProvider clock, TimeSpan requestedTimeout, WatchReconnectMode watchMode)
    {
        _network = network;
        _process = process;
        _clock = clock;
        _requestedTimeout = requestedTimeout;
        WatchMode = watchMode;
        SessionTimeout = requestedTimeout;
        LastConfirmedTimestamp = clock.GetTimestamp();
        _lastReceivedTimestamp = LastConfirmedTimestamp;
        process.OnResume(CheckReadTimeout);
    }

    /// <inheritdoc />
    public event Action<SessionChange>? SessionChanged;

    /// <inheritdoc />
    public TimeSpan SessionTimeout { get; private set; }

    /// <summary>
    /// When the latest request or ping was sent whose reply has come back: the last instant at which
    /// the member knows the server still had its session. A notification, or a reply that waited in
    /// the socket while the process was paused, does not move it past its request's send time (the
    /// real adapter keeps the same meaning, from the client's LastConfirmedTimestamp).
    /// </summary>
    public long LastConfirmedTimestamp { get; private set; }

    /// <inheritdoc />
    public long? AcceptedConnectTimestamp { get; private set; }

    /// <summary>The follower of the current connection; null on the leader or while not connected.</summary>
    public Follower? Follower => _connection?.Via;

    /// <summary>The session id; 0 before the first connect.</summary>
    public long SessionId { get; private set; }

    /// <summary>Where the client stands.</summary>
    public ClientState State { get; private set; } = ClientState.Disconnected;

    /// <summary>What the client does with its watches across a reconnect.</summary>
    public WatchReconnectMode WatchMode { get; }

    /// <summary>The last zxid seen in a reply.</summary>
    public long LastZxid { get; private set; }

    /// <summary>Receives one line per session change, for the run's trace.</summary>
    public Action<string>? Trace { get; set; }

    /// <summary>The client's read timeout, by the client's own rule.</summary>
    private TimeSpan ReadTimeout => SessionTimings.ReadTimeout(SessionTimeout);

    /// <summary>The client's ping interval, by the client's own rule.</summary>
    private TimeSpan PingInterval => SessionTimings.PingInterval(SessionTimeout);

    private SimScheduler Scheduler => _network.Scheduler;

    /// <summary>Starts connecting; <paramref name="connected"/> runs once, when the first connect succeeds.</summary>
    public void Start(Action connected)
    {
        _onFirstConnect = connected;
        BeginConnect();
    }

    /// <summary>Closes the session (ephemeral nodes go at once) when connected; either way the client is done.</summary>
    public void Close()
    {
        if (State is ClientState.Expired or ClientState.Closed)
        {
            return;
        }

        if (State == ClientState.Connected && _connection is { } open)
        {
            long id = SessionId;
            open.SendToServer(() => open.ToLeader(() => _network.Server.CloseSession(id)));
        }

        Finish(ClientState.Closed, ZooKeeperError.ConnectionLoss);
    }

    /// <summary>Drops the connection as a network reset would (the connection-loss fault).</summary>
    public void ResetConnection() => _connection?.Reset();

    /// <summary>The process crashed: the OS closes its socket; the session lives on until the server expires it.</summary>
    public void OnCrash()
    {
        CancelTimers();
        _connection?.CloseFromClient();
        _connection = null;
    }

    internal void OnNotification(SimConnection from, string path, WatchEventKind kind)
    {
        if (!ReferenceEquals(from, _connection) || State != ClientState.Connected)
        {
            return;
        }

        Heard();
        foreach (var watcher in _watches.Take(path, kind))
        {
            watcher(kind);
        }
    }

    internal void OnServerClosed(SimConnection from)
    {
        if (ReferenceEquals(from, _connection))
        {
            LoseConnection("connection closed by server");
        }
    }

    private void BeginConnect()
    {
        if (State is ClientState.Expired or ClientState.Closed || _process.Crashed)
        {
            return;
        }

        State = ClientState.Connecting;
        _connectSentTimestamp = _clock.GetTimestamp();
        var attempt = _network.Open(this, _process);
        _connection = attempt;
        long id = SessionId;
        var rearm = WatchMode == WatchReconnectMode.Rearm && id != 0 ? _watches.ToWatchSet(LastZxid) : null;
        attempt.SendToServer(() =>
        {
            if (attempt.Refused)
            {
                attempt.Refuse();
                return;
            }

            // A follower creates or revalidates the session with the leader before it answers.
            attempt.ToLeader(() => ServeConnect(attempt, id, rearm));
        });
        _connectDeadline = Scheduler.Schedule(_clock.ToTrue(ReadTimeout / 2), () => ConnectTimedOut(attempt), _process);
    }

    private void ServeConnect(SimConnection attempt, long id, WatchSet? rearm)
    {
        var server = _network.Server;
        var session = server.Connect(id, _requestedTimeout, attempt, attempt.Via?.Id ?? 0);
        if (session is null)
        {
            attempt.SendFromLeader(() => OnConnectRefused(attempt));
            attempt.Close();
            return;
        }

        long zxid = server.LastZxid;
        attempt.SendFromLeader(() => OnConnected(attempt, session.Id, session.Timeout, zxid));

        // setWatches follows the connect request on the same connection, so its notifications
        // reach the client after the connect reply.
        if (rearm is not null)
        {
            server.SetWatches(session.Id, attempt, rearm);
        }
    }

    private void OnConnected(SimConnection attempt, long sessionId, TimeSpan timeout, long zxid)
    {
        if (!ReferenceEquals(attempt, _connection) || State != ClientState.Connecting)
        {
            return;
        }

        _connectDeadline?.Cancel();
        bool first = SessionId == 0;
        SessionId = sessionId;
        SessionTimeout = timeout;
        LastZxid = Math.Max(LastZxid, zxid);
        State = ClientState.Connected;
        Confirmed(_connectSentTimestamp);
        AcceptedConnectTimestamp = _connectSentTimestamp;
        _lastSendTicks = Scheduler.NowTicks;
        ArmReadCheck();
        ArmPing();
        Log(first ? $"connected session 0x{sessionId:x}" : "reconnected");
        if (first)
        {
            _onFirstConnect?.Invoke();
        }
        else
        {
            SessionChanged?.Invoke(SessionChange.Reconnected);
        }
    }

    private void OnConnectRefused(SimConnection attempt)
    {
        if (ReferenceEquals(attempt, _connection))
        {
            Log("session expired");
            Finish(ClientState.Expired, ZooKeeperError.SessionExpired);
            SessionChanged?.Invoke(SessionChange.Expired);
        }
    }

    private void ConnectTimedOut(SimConnection attempt)
    {
        if (ReferenceEquals(attempt, _connection) && State == ClientState.Connecting)
        {
            LoseConnection("connect timed out");
        }
    }

    private void LoseConnection(string why)
    {
        var wasConnected = State == ClientState.Connected;
        CancelTimers();
        _connection?.CloseFromClient();
        _connection = null;
        if (State is ClientState.Expired or ClientState.Closed)
        {
            return;
        }

        State = ClientState.Disconnected;
        if (wasConnected)
        {
            Log($"suspended: {why}");
            FailPending(ZooKeeperError.ConnectionLoss);
            SessionChanged?.Invoke(SessionChange.Suspended);
            if (WatchMode == WatchReconnectMode.FireDisconnected)
            {
                foreach (var watcher in _watches.TakeAll())
                {
                    watcher(WatchEventKind.Disconnected);
                }
            }
        }

        // Java waits a random 0-1 s before each attempt; a bounded random backoff, scaled to the timeout.
        var backoff = _network.Random.Between(TimeSpan.Zero, SessionTimeout / 8);
        Scheduler.Schedule(_clock.ToTrue(backoff), BeginConnect, _process);
    }

    private void Finish(ClientState final, ZooKeeperError pendingError)
    {
        State = final;
        CancelTimers();
        _connection?.CloseFromClient();
        _connection = null;
        FailPending(pendingError);
        _watches.TakeAll();
    }

    private void CancelTimers()
    {
        _readCheck?.Cancel();
        _pingCheck?.Cancel();
        _connectDeadline?.Cancel();
        _readCheck = _pingCheck = _connectDeadline = null;
    }

    private void FailPending(ZooKeeperError error)
    {
        while (_pending.TryDequeue(out var request))
        {
            request.Fail(error);
        }
    }

    /// <summary>Anything arrived: the read timeout starts again (as in ZooKeeper's client).</summary>
    private void Heard() => _lastReceivedTimestamp = _clock.GetTimestamp();

    /// <summary>A reply to something sent at <paramref name="sentTimestamp"/> arrived: the session was alive then.</summary>
    private void Confirmed(long sentTimestamp)
    {
        Heard();
        LastConfirmedTimestamp = Math.Max(LastConfirmedTimestamp, sentTimestamp);
    }

    private long HeardTicksAgo => _clock.GetTimestamp() - _lastReceivedTimestamp;

    private void ArmReadCheck() =>
        _readCheck = Scheduler.Schedule(_clock.ToTrue(ReadTimeout - TimeSpan.FromTicks(HeardTicksAgo)), CheckReadTimeout, _process);

    private void CheckReadTimeout()
    {
        // Runs from its timer and first thing on resume; either way one check stays armed.
        _readCheck?.Cancel();
        _readCheck = null;
        if (State != ClientState.Connected)
        {
            return;
        }

        if (HeardTicksAgo >= ReadTimeout.Ticks)
        {
            LoseConnection("heard nothing for 2/3 of the session timeout");
        }
        else
        {
            ArmReadCheck();
        }
    }

    private void ArmPing()
    {
        // The client's own clock sets the ping interval; the scheduler runs in true time.
        var due = _lastSendTicks + _clock.ToTrue(PingInterval).Ticks;
        _pingCheck = Scheduler.ScheduleAt(due, CheckPing, _process);
    }

    private void CheckPing()
    {
        _pingCheck = null;
        if (State != ClientState.Connected || _connection is null)
        {
            return;
        }

        if (Scheduler.NowTicks - _lastSendTicks >= _clock.ToTrue(PingInterval).Ticks)
        {
            var open = _connection;
            long id = SessionId;
            _lastSendTicks = Scheduler.NowTicks;
            long sent = _clock.GetTimestamp();
            open.SendToServer(() => open.ServePing(id, () => OnPingReply(open, sent)));
        }

        ArmPing();
    }

    private void OnPingReply(SimConnection from, long sentTimestamp)
    {
        if (ReferenceEquals(from, _connection) && State == ClientState.Connected)
        {
            Confirmed(sentTimestamp);
        }
    }

    private void Log(string line) => Trace?.Invoke($"{_process.Name} {line}");
}
