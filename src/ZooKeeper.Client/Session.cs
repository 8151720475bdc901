using System.Buffers.Binary;
using System.Net.Sockets;
using Microsoft.Extensions.Logging.Abstractions;
using ZooKeeper.Client.Diagnostics;

namespace ZooKeeper.Client;

/// <summary>
/// The connection loop of one session. A dedicated session thread connects, performs the handshake,
/// then is the connection's only writer (requests, pings, read-timeout checks) until the connection
/// dies, and reconnects with jittered back-off. A dedicated reader thread per connection matches each
/// reply against the head of the in-flight FIFO, arms watches, and posts completions to the
/// <see cref="Dispatcher"/>. Neither thread ever runs user code, so a busy thread pool or a slow watcher
/// cannot delay a ping or a read.
/// </summary>
internal sealed partial class Session
{
    private static readonly byte[] PingFrame = [0, 0, 0, 8, 0xFF, 0xFF, 0xFF, 0xFE, 0, 0, 0, (byte)OpCode.Ping];

    private readonly ConnectionString _connection;
    private readonly ZooKeeperClientOptions _options;
    private readonly TimeProvider _time;
    private readonly Random _jitter;
    private readonly object _sync = new();
    private readonly Queue<Request> _pending = new();
    private readonly Queue<Request> _outgoing = new();
    private readonly Queue<Request> _authPending = new();

    /// <summary>
    /// Requests accepted while <see cref="ZooKeeperClientOptions.PendingRequestsMax"/> were already in flight, in the
    /// order they were submitted; each goes out (gets its xid) when a reply frees a place, so the order holds.
    /// </summary>
    private readonly Queue<Request> _waiting = new();
    private readonly List<(string Scheme, byte[] Auth)> _auths = [];
    private readonly TaskCompletionSource _firstConnect = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _exited = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Thread _thread;

    private Connection? _current;
    private Socket? _connecting;

    /// <summary>Connect attempts in a row that failed in a way a retry will not change (see <c>HandshakeFailure</c>), on the session thread only.</summary>
    private int _refusals;

    /// <summary>Why the first connect gave up, when it gave up on refusals; set on the session thread before it ends.</summary>
    private string? _gaveUp;
    private ZooKeeperState _state = ZooKeeperState.Connecting;
    private bool _closing;
    private bool _authFailed;
    private bool _writerWaiting;
    private int _nextXid = 1;
    private long _sessionId;
    private byte[] _password = new byte[WireLimits.PasswordBytes];
    private int _negotiatedMs;
    private long _lastZxid;
    private long _lastHeard;
    private long _repliesTooLarge;
    private long _lastConfirmed;
    private long _connectStarted;
    private long _connectAccepted;
    private int _hasConnectAccepted;
    private readonly System.Collections.Concurrent.ConcurrentQueue<long> _pingsInFlight = new();
    private long _lastSend;
    private bool _everConnected;

    public Session(ConnectionString connection, ZooKeeperClientOptions options)
    {
        _connection = connection;
        _options = options;
        _time = options.TimeProvider;
        _jitter = options.JitterSeed is { } seed ? new Random(seed) : new Random();
        _negotiatedMs = (int)options.SessionTimeout.TotalMilliseconds;
        _lastHeard = _time.GetTimestamp();
        _lastConfirmed = _lastHeard;
        _thread = new Thread(Run) { IsBackground = true, Name = "zookeeper-session" };
        Telemetry = new SessionTelemetry(
            ClientInstruments.Get(options.MeterFactory),
            options.LoggerFactory?.CreateLogger("ZooKeeper.Client") ?? NullLogger.Instance,
            _time);
    }

    /// <summary>The session's metrics and log lines.</summary>
    public SessionTelemetry Telemetry { get; }

    public Dispatcher Dispatcher { get; } = new();

    public WatchRegistry Watches { get; } = new();

    public Action<SessionEvent>? StateHandler { get; set; }

    public ZooKeeperState State
    {
        get
        {
            lock (_sync)
            {
                return _state;
            }
        }
    }

    public long SessionId => Interlocked.Read(ref _sessionId);

    public TimeSpan NegotiatedTimeout => TimeSpan.FromMilliseconds(Volatile.Read(ref _negotiatedMs));

    public long LastHeardTimestamp => Interlocked.Read(ref _lastHeard);

    public long LastConfirmedTimestamp => Interlocked.Read(ref _lastConfirmed);

    public long LastZxid => Interlocked.Read(ref _lastZxid);

    public long? AcceptedConnectTimestamp => Volatile.Read(ref _hasConnectAccepted) == 1 ? Interlocked.Read(ref _connectAccepted) : null;

    /// <summary>How many replies were over the frame limit and dropped (their requests failed with <see cref="ReplyTooLargeException"/>).</summary>
    public long RepliesTooLargeCount => Interlocked.Read(ref _repliesTooLarge);

    public ServerAddress? CurrentServer
    {
        get
        {
            lock (_sync)
            {
                return _current?.Server;
            }
        }
    }

    /// <summary>Why the last connection ended; null before any ended.</summary>
    public string? LastDisconnectReason { get; private set; }

    /// <summary>Completes when the first connection is up; fails when the session ends before that.</summary>
    public Task FirstConnect => _firstConnect.Task;

    /// <summary>Completes when the session thread has finished.</summary>
    public Task Exited => _exited.Task;

    public void Start()
    {
        Telemetry.State(ZooKeeperState.Connecting);
        _thread.Start();
    }

    /// <summary>
    /// Queues a request on the live connection. With no live connection it fails at once (ConnectionLoss
    /// while reconnecting, the terminal error afterwards): nothing is held for a later connection.
    /// </summary>
    public void Submit(Request request)
    {
        lock (_sync)
        {
            if (_current is null || _current.IsDead || (_closing && request.Op != OpCode.CloseSession))
            {
                var error = NotConnectedError(request.Path);
                request.SetFailure(error);
                Telemetry.Refused(request.Op, error.Code);
                Dispatcher.Post(request);
                return;
            }

            // Back-pressure: over the limit a request waits, unsent, behind the others that wait; its caller's
            // task is simply not completed yet. Auth and close go at once: they must not queue behind the work.
            bool exempt = request.Op is OpCode.Auth or OpCode.CloseSession;
            if (!exempt && (_waiting.Count > 0 || _pending.Count >= _options.PendingRequestsMax))
            {
                _waiting.Enqueue(request);
                return;
            }

            Send(request);
        }
    }

    /// <summary>How many requests wait for a place in flight (see <see cref="ZooKeeperClientOptions.PendingRequestsMax"/>).</summary>
    internal int WaitingCount
    {
        get
        {
            lock (_sync)
            {
                return _waiting.Count;
            }
        }
    }

    /// <summary>How many requests are in flight: sent, or about to be, and not answered.</summary>
    internal int PendingCount
    {
        get
        {
            lock (_sync)
            {
                return _pending.Count;
            }
        }
    }

    /// <summary>Gives <paramref name="request"/> its xid and queues it for the writer (called under the lock).</summary>
    private void Send(Request request)
    {
        request.Xid = request.Op == OpCode.Auth ? Xids.Auth : NextXid();
        request.SubmittedTimestamp = _time.GetTimestamp();
        request.Counted = true;
        Telemetry.Sent(request.Op);
        BinaryPrimitives.WriteInt32BigEndian(request.Frame.AsSpan(4), request.Xid);
        (request.Op == OpCode.Auth ? _authPending : _pending).Enqueue(request);
        if (TryWriteInline(request))
        {
            return;
        }

        _outgoing.Enqueue(request);
        if (_writerWaiting)
        {
            Monitor.Pulse(_sync);
        }
    }

    /// <summary>A reply took a request out of flight: the oldest waiting ones go out in its place (called under the lock).</summary>
    private void SendWaiting()
    {
        while (_waiting.Count > 0 && _pending.Count < _options.PendingRequestsMax && _current is { IsDead: false } && !_closing)
        {
            Send(_waiting.Dequeue());
        }
    }

    /// <summary>
    /// Writes a small request on the caller's thread when the writer is idle, saving a thread wake on the
    /// latency of every request issued one at a time. Called under the lock: the writer is parked in its
    /// wait with nothing queued, so it cannot be writing, and frames still reach the socket in xid order.
    /// The socket is checked writable first, so the send only copies into free kernel buffer space and
    /// never waits on the network.
    /// </summary>
    private bool TryWriteInline(Request request)
    {
        if (!_writerWaiting || _outgoing.Count > 0 || request.FrameLength > WireLimits.InlineSendBytesMax || !_current!.IsWritable())
        {
            return false;
        }

        _current.Write(request.Frame, request.FrameLength);
        Interlocked.Exchange(ref _lastSend, _time.GetTimestamp());
        return true;
    }

    /// <summary>Remembers credentials so that every later connection sends them again.</summary>
    public void RememberAuth(string scheme, byte[] auth)
    {
        lock (_sync)
        {
            _auths.Add((scheme, auth));
        }
    }

    /// <summary>Marks the session as closing, so that a lost connection is not replaced.</summary>
    public bool BeginClose()
    {
        lock (_sync)
        {
            if (_closing || IsTerminal(_state))
            {
                return false;
            }

            _closing = true;
            return _current is not null && !_current.IsDead;
        }
    }

    /// <summary>Ends the connection (or the connect attempt) and wakes the session thread so that it exits.</summary>
    public void Shutdown()
    {
        Connection? current;
        Socket? connecting;
        lock (_sync)
        {
            _closing = true;
            current = _current;
            connecting = _connecting;
            Monitor.PulseAll(_sync);
        }

        current?.Kill("the client was closed");
        if (connecting is not null)
        {
            Connection.CloseQuietly(connecting);
        }

        if (!_thread.IsAlive && _thread.ThreadState.HasFlag(ThreadState.Unstarted))
        {
            _exited.TrySetResult();
        }
    }

    private static bool IsTerminal(ZooKeeperState state) =>
        state is ZooKeeperState.Expired or ZooKeeperState.AuthFailed or ZooKeeperState.Closed;

    private KeeperException NotConnectedError(string? path) => _state switch
    {
        ZooKeeperState.Expired => KeeperException.Create(ErrorCode.SessionExpired, path, "the session has expired"),
        ZooKeeperState.AuthFailed => KeeperException.Create(ErrorCode.AuthFailed, path, "the server refused the credentials"),
        ZooKeeperState.Closed => KeeperException.Create(ErrorCode.ConnectionLoss, path, "the client is closed"),
        _ when _closing => KeeperException.Create(ErrorCode.ConnectionLoss, path, "the client is closing"),
        _ => KeeperException.Create(ErrorCode.ConnectionLoss, path, $"not connected ({LastDisconnectReason ?? "connecting"})"),
    };

    private int NextXid()
    {
        var xid = _nextXid;
        _nextXid = (_nextXid + 1) & 0x7FFFFFFF;
        if (_nextXid == 0)
        {
            _nextXid = 1;
        }

        return xid;
    }

    private void RaiseState(SessionEvent sessionEvent) => Dispatcher.Post(new StateDelivery(StateHandler, sessionEvent));
}
