using Microsoft.Extensions.Logging;

namespace ZooKeeper.Client.Diagnostics;

/// <summary>
/// One session's metrics and log lines. Called from the session thread, the reader thread and callers' threads;
/// the state count is kept under a lock, the rest are counters that need none.
/// </summary>
internal sealed partial class SessionTelemetry
{
    private readonly object _gate = new();
    private readonly ClientInstruments _instruments;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private string? _countedState;

    public SessionTelemetry(ClientInstruments instruments, ILogger logger, TimeProvider time)
    {
        _instruments = instruments;
        _logger = logger;
        _time = time;
    }

    /// <summary>A request went into the in-flight queue.</summary>
    public void Sent(OpCode op)
    {
        var tag = Operation(op);
        _instruments.Requests.Add(1, tag);
        _instruments.RequestsInFlight.Add(1, tag);
    }

    /// <summary>The server answered a sent request: its round trip, and its error when it was one.</summary>
    public void Answered(OpCode op, long sentTimestamp, ErrorCode? error)
    {
        var tag = Operation(op);
        _instruments.RequestsInFlight.Add(-1, tag);
        _instruments.RequestDuration.Record(_time.GetElapsedTime(sentTimestamp).TotalSeconds, tag);
        if (error is { } code)
        {
            _instruments.RequestsFailed.Add(1, tag, new("error.type", code.ToString()));
        }
    }

    /// <summary>A sent request failed without an answer (the connection went).</summary>
    public void Dropped(OpCode op, ErrorCode code)
    {
        var tag = Operation(op);
        _instruments.RequestsInFlight.Add(-1, tag);
        _instruments.RequestsFailed.Add(1, tag, new("error.type", code.ToString()));
    }

    /// <summary>A request failed before it was sent (no live connection).</summary>
    public void Refused(OpCode op, ErrorCode code) =>
        _instruments.RequestsFailed.Add(1, Operation(op), new("error.type", code.ToString()));

    /// <summary>The session's state is now <paramref name="state"/>; terminal states take it out of the count.</summary>
    public void State(ZooKeeperState state)
    {
        var name = state switch
        {
            ZooKeeperState.Connecting => "connecting",
            ZooKeeperState.Connected => "connected",
            ZooKeeperState.Suspended => "suspended",
            _ => null,
        };
        lock (_gate)
        {
            if (name == _countedState)
            {
                return;
            }

            if (_countedState is not null)
            {
                _instruments.Sessions.Add(-1, new KeyValuePair<string, object?>("zookeeper.session.state", _countedState));
            }

            if (name is not null)
            {
                _instruments.Sessions.Add(1, new KeyValuePair<string, object?>("zookeeper.session.state", name));
            }

            _countedState = name;
        }

        if (state == ZooKeeperState.Expired)
        {
            _instruments.Expirations.Add(1);
        }
    }

    public void Reconnected() => _instruments.Reconnects.Add(1);

    public void Disconnected() => _instruments.Disconnects.Add(1);

    private static KeyValuePair<string, object?> Operation(OpCode op) => new("zookeeper.operation", op switch
    {
        OpCode.Create or OpCode.Create2 => "create",
        OpCode.CreateContainer => "create_container",
        OpCode.Delete => "delete",
        OpCode.Exists => "exists",
        OpCode.GetData => "get_data",
        OpCode.SetData => "set_data",
        OpCode.GetChildren or OpCode.GetChildren2 => "get_children",
        OpCode.Sync => "sync",
        OpCode.Check => "check",
        OpCode.Multi => "multi",
        OpCode.MultiRead => "multi_read",
        OpCode.Auth => "auth",
        OpCode.CloseSession => "close_session",
        OpCode.SetWatches => "set_watches",
        _ => "other",
    });

    [LoggerMessage(EventId = 1, Level = LogLevel.Debug, Message = "ZooKeeper: connecting to {Server}")]
    public partial void Connecting(ServerAddress server);

    [LoggerMessage(EventId = 2, Level = LogLevel.Warning, Message = "ZooKeeper: {Reason}")]
    public partial void ConnectFailed(string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Information, Message = "ZooKeeper: session 0x{SessionId:x} connected to {Server}, timeout {TimeoutMs} ms")]
    public partial void Connected(long sessionId, ServerAddress server, int timeoutMs);

    [LoggerMessage(EventId = 4, Level = LogLevel.Information, Message = "ZooKeeper: session 0x{SessionId:x} reconnected to {Server}, timeout {TimeoutMs} ms")]
    public partial void ReconnectedTo(long sessionId, ServerAddress server, int timeoutMs);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "ZooKeeper: session 0x{SessionId:x} lost its connection: {Reason}; {Failed} requests in flight failed with ConnectionLoss")]
    public partial void ConnectionDropped(long sessionId, string reason, int failed);

    [LoggerMessage(EventId = 6, Level = LogLevel.Warning, Message = "ZooKeeper: session 0x{SessionId:x} expired")]
    public partial void Expired(long sessionId);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "ZooKeeper: session 0x{SessionId:x} ended: the server refused the credentials")]
    public partial void AuthFailed(long sessionId);

    [LoggerMessage(EventId = 8, Level = LogLevel.Information, Message = "ZooKeeper: session 0x{SessionId:x} closed")]
    public partial void Closed(long sessionId);
}
