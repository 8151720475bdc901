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
    private readonly SimNetwork network;
    private readonly SimProcess process;
    private readonly VirtualTimeProvider clock;
    private readonly TimeSpan requestedTimeout;
    private readonly Queue<PendingRequest> pending = new();
    private readonly WatchTable watches = new();
    private SimConnection? connection;
    private Action? onFirstConnect;
    private ScheduledAction? readCheck;
    private ScheduledAction? pingCheck;
    private ScheduledAction? connectDeadline;
    private long lastSendTicks;
    private long lastReceivedTimestamp;
    private long connectSentTimestamp;
    private int nextXid = 1;

    /// <summary>Creates a client in <paramref name="process"/>; call <see cref="Start"/> to connect.</summary>
    public SimulatedClientPort(SimNetwork network, SimProcess process, VirtualTimeProvider clock, TimeSpan requestedTimeout, WatchReconnectMode watchMode)
    {
        this.network = network;
        this.process = process;
        this.clock = clock;
        this.requestedTimeout = requestedTimeout;
        WatchMode = watchMode;
        SessionTimeout = requestedTimeout;
        LastConfirmedTimestamp = clock.GetTimestamp();
        lastReceivedTimestamp = LastConfirmedTimestamp;
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
    public Follower? Follower => connection?.Via;

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

    private SimScheduler Scheduler => network.Scheduler;

    /// <summary>Starts connecting; <paramref name="connected"/> runs once, when the first connect succeeds.</summary>
    public void Start(Action connected)
    {
        onFirstConnect = connected;
        BeginConnect();
    }

    /// <summary>Closes the session (ephemeral nodes go at once) when connected; either way the client is done.</summary>
    public void Close()
    {
        if (State is ClientState.Expired or ClientState.Closed)
        {
            return;
        }

        if (State == ClientState.Connected && connection is { } open)
        {
            long id = SessionId;
            open.SendToServer(() => open.ToLeader(() => network.Server.CloseSession(id)));
        }

        Finish(ClientState.Closed, ZooKeeperError.ConnectionLoss);
    }

    /// <summary>Drops the connection as a network reset would (the connection-loss fault).</summary>
    public void ResetConnection() => connection?.Reset();

    /// <summary>The process crashed: the OS closes its socket; the session lives on until the server expires it.</summary>
    public void OnCrash()
    {
        CancelTimers();
        connection?.CloseFromClient();
        connection = null;
    }

    internal void OnNotification(SimConnection from, string path, WatchEventKind kind)
    {
        if (!ReferenceEquals(from, connection) || State != ClientState.Connected)
        {
            return;
        }

        Heard();
        foreach (var watcher in watches.Take(path, kind))
        {
            watcher(kind);
        }
    }

    internal void OnServerClosed(SimConnection from)
    {
        if (ReferenceEquals(from, connection))
        {
            LoseConnection("connection closed by server");
        }
    }

    private void BeginConnect()
    {
        if (State is ClientState.Expired or ClientState.Closed || process.Crashed)
        {
            return;
        }

        State = ClientState.Connecting;
        connectSentTimestamp = clock.GetTimestamp();
        var attempt = network.Open(this, process);
        connection = attempt;
        long id = SessionId;
        var rearm = WatchMode == WatchReconnectMode.Rearm && id != 0 ? watches.ToWatchSet(LastZxid) : null;
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
        connectDeadline = Scheduler.Schedule(clock.ToTrue(ReadTimeout / 2), () => ConnectTimedOut(attempt), process);
    }

    private void ServeConnect(SimConnection attempt, long id, WatchSet? rearm)
    {
        var server = network.Server;
        var session = server.Connect(id, requestedTimeout, attempt, attempt.Via?.Id ?? 0);
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
        if (!ReferenceEquals(attempt, connection) || State != ClientState.Connecting)
        {
            return;
        }

        connectDeadline?.Cancel();
        bool first = SessionId == 0;
        SessionId = sessionId;
        SessionTimeout = timeout;
        LastZxid = Math.Max(LastZxid, zxid);
        State = ClientState.Connected;
        Confirmed(connectSentTimestamp);
        AcceptedConnectTimestamp = connectSentTimestamp;
        lastSendTicks = Scheduler.NowTicks;
        ArmReadCheck();
        ArmPing();
        Log(first ? $"connected session 0x{sessionId:x}" : "reconnected");
        if (first)
        {
            onFirstConnect?.Invoke();
        }
        else
        {
            SessionChanged?.Invoke(SessionChange.Reconnected);
        }
    }

    private void OnConnectRefused(SimConnection attempt)
    {
        if (ReferenceEquals(attempt, connection))
        {
            Log("session expired");
            Finish(ClientState.Expired, ZooKeeperError.SessionExpired);
            SessionChanged?.Invoke(SessionChange.Expired);
        }
    }

    private void ConnectTimedOut(SimConnection attempt)
    {
        if (ReferenceEquals(attempt, connection) && State == ClientState.Connecting)
        {
            LoseConnection("connect timed out");
        }
    }

    private void LoseConnection(string why)
    {
        var wasConnected = State == ClientState.Connected;
        CancelTimers();
        connection?.CloseFromClient();
        connection = null;
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
                foreach (var watcher in watches.TakeAll())
                {
                    watcher(WatchEventKind.Disconnected);
                }
            }
        }

        // Java waits a random 0-1 s before each attempt; a bounded random backoff, scaled to the timeout.
        var backoff = network.Random.Between(TimeSpan.Zero, SessionTimeout / 8);
        Scheduler.Schedule(clock.ToTrue(backoff), BeginConnect, process);
    }

    private void Finish(ClientState final, ZooKeeperError pendingError)
    {
        State = final;
        CancelTimers();
        connection?.CloseFromClient();
        connection = null;
        FailPending(pendingError);
        watches.TakeAll();
    }

    private void CancelTimers()
    {
        readCheck?.Cancel();
        pingCheck?.Cancel();
        connectDeadline?.Cancel();
        readCheck = pingCheck = connectDeadline = null;
    }

    private void FailPending(ZooKeeperError error)
    {
        while (pending.TryDequeue(out var request))
        {
            request.Fail(error);
        }
    }

    /// <summary>Anything arrived: the read timeout starts again (as in ZooKeeper's client).</summary>
    private void Heard() => lastReceivedTimestamp = clock.GetTimestamp();

    /// <summary>A reply to something sent at <paramref name="sentTimestamp"/> arrived: the session was alive then.</summary>
    private void Confirmed(long sentTimestamp)
    {
        Heard();
        LastConfirmedTimestamp = Math.Max(LastConfirmedTimestamp, sentTimestamp);
    }

    private long HeardTicksAgo => clock.GetTimestamp() - lastReceivedTimestamp;

    private void ArmReadCheck() =>
        readCheck = Scheduler.Schedule(clock.ToTrue(ReadTimeout - TimeSpan.FromTicks(HeardTicksAgo)), CheckReadTimeout, process);

    private void CheckReadTimeout()
    {
        // Runs from its timer and first thing on resume; either way one check stays armed.
        readCheck?.Cancel();
        readCheck = null;
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
        var due = lastSendTicks + clock.ToTrue(PingInterval).Ticks;
        pingCheck = Scheduler.ScheduleAt(due, CheckPing, process);
    }

    private void CheckPing()
    {
        pingCheck = null;
        if (State != ClientState.Connected || connection is null)
        {
            return;
        }

        if (Scheduler.NowTicks - lastSendTicks >= clock.ToTrue(PingInterval).Ticks)
        {
            var open = connection;
            long id = SessionId;
            lastSendTicks = Scheduler.NowTicks;
            long sent = clock.GetTimestamp();
            open.SendToServer(() => open.ServePing(id, () => OnPingReply(open, sent)));
        }

        ArmPing();
    }

    private void OnPingReply(SimConnection from, long sentTimestamp)
    {
        if (ReferenceEquals(from, connection) && State == ClientState.Connected)
        {
            Confirmed(sentTimestamp);
        }
    }

    private void Log(string line) => Trace?.Invoke($"{process.Name} {line}");
}
