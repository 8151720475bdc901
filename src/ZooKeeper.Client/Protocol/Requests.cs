namespace ZooKeeper.Client;

/// <summary>Something the dispatcher runs, in the order it was posted.</summary>
internal interface IDispatchItem
{
    void Run();
}

/// <summary>Decodes a successful reply body.</summary>
internal delegate T ReplyDecoder<T>(ref JuteReader reader);

/// <summary>Decodes a successful reply body that needs the zxid of its reply header (a multi's: its transaction's).</summary>
internal delegate T ZxidReplyDecoder<T>(ref JuteReader reader, long zxid);

/// <summary>Which local watch table a successful read arms.</summary>
internal enum WatchKind
{
    Data,
    Exist,
    Child,
}

/// <summary>A watch a read leaves when its reply comes back; exists arms a data watch on Ok and an exist watch on NoNode.</summary>
internal sealed record WatchRegistration(OpCode Op, string Path, Action<WatchedEvent> Callback)
{
    public WatchKind? KindFor(int err) => (Op, (ErrorCode)err) switch
    {
        (OpCode.Exists, ErrorCode.Ok) => WatchKind.Data,
        (OpCode.Exists, ErrorCode.NoNode) => WatchKind.Exist,
        (OpCode.GetData, ErrorCode.Ok) => WatchKind.Data,
        (OpCode.GetChildren or OpCode.GetChildren2, ErrorCode.Ok) => WatchKind.Child,
        _ => null,
    };
}

/// <summary>
/// One request: its encoded frame, the xid given when it was queued, and how its reply completes it.
/// The reader decodes the reply (<see cref="OnReply"/>); the dispatcher completes the task (<see cref="Run"/>),
/// so that completions keep their order relative to watch notifications.
/// </summary>
internal abstract class Request(OpCode op, string? path, JuteWriter frame) : IDispatchItem
{
    /// <summary>The request id; assigned under the session lock when the request is queued.</summary>
    public int Xid { get; set; }

    /// <summary>When the request was queued for sending; its reply proves the session was alive on the server after this.</summary>
    public long SubmittedTimestamp { get; set; }

    public OpCode Op { get; } = op;

    /// <summary>The caller's path, for error messages.</summary>
    public string? Path { get; } = path;

    /// <summary>The encoded frame: the length prefix, then the header (xid at offset 4), then the body.</summary>
    public byte[] Frame { get; } = frame.ToFrame();

    public int FrameLength { get; } = frame.Length;

    public WatchRegistration? Watch { get; init; }

    /// <summary>True once the request went into the in-flight queue through <c>Submit</c>, so that metrics count it once.</summary>
    public bool Counted { get; set; }

    /// <summary>True when the reply (or a failure) makes the caller's task fail.</summary>
    public abstract bool HasError { get; }

    /// <summary>Decodes the reply (<paramref name="zxid"/> is its header's); a decode fault throws a <see cref="ProtocolException"/> and kills the connection.</summary>
    public abstract void OnReply(int err, long zxid, ref JuteReader body);

    /// <summary>Records a failure to deliver at <see cref="Run"/>.</summary>
    public abstract void SetFailure(KeeperException error);

    /// <summary>
    /// True when <see cref="Run"/> calls the caller's code (an ordered completion callback): then it runs on the
    /// dispatcher only, never inline on the reader.
    /// </summary>
    public virtual bool RunsCallerCode => false;

    public abstract void Run();

    /// <summary>Starts a frame: the length placeholder, an xid placeholder and the op code.</summary>
    public static JuteWriter Begin(OpCode op, int capacity = 128)
    {
        var writer = new JuteWriter(capacity);
        writer.WriteInt(0);
        writer.WriteInt((int)op);
        return writer;
    }
}

/// <summary>
/// A request whose caller awaits a <typeparamref name="T"/> (a task), or is called back with a <see cref="Reply{T}"/> on the
/// dispatcher, in reply order (an ordered completion callback).
/// </summary>
internal sealed class Request<T>(OpCode op, string? path, JuteWriter frame, ZxidReplyDecoder<T> decode, Action<Reply<T>>? callback = null)
    : Request(op, path, frame)
{
    /// <summary>A request whose reply body alone gives its result.</summary>
    public Request(OpCode op, string? path, JuteWriter frame, ReplyDecoder<T> decode, Action<Reply<T>>? callback = null)
        : this(op, path, frame, (ref JuteReader reader, long _) => decode(ref reader), callback)
    {
    }

    // A callback request has no task: its outcome is a value, and an expected error (NoNode) never becomes an exception.
    private readonly TaskCompletionSource<T>? _completion =
        callback is null ? new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously) : null;

    private T _result = default!;
    private ErrorCode _code;
    private KeeperException? _error;

    /// <summary>The caller's task; only for a request made without a callback.</summary>
    public Task<T> Task => _completion?.Task ?? throw new InvalidOperationException("A callback request has no task.");

    /// <summary>
    /// An error that is an answer rather than a failure (exists: NoNode): a task gets <see cref="ToleratedValue"/>, a
    /// callback the code; neither counts it as a failed request.
    /// </summary>
    public ErrorCode ToleratedError { get; init; } = ErrorCode.Ok;

    public T ToleratedValue { get; init; } = default!;

    public override bool RunsCallerCode => callback is not null;

    public override void OnReply(int err, long zxid, ref JuteReader body)
    {
        if (err == 0)
        {
            _result = decode(ref body, zxid);
        }
        else if (err == (int)ToleratedError && _completion is not null)
        {
            _result = ToleratedValue;
        }
        else
        {
            _code = (ErrorCode)err;
            if (_completion is not null)
            {
                _error = KeeperException.Create(_code, Path);
            }
        }
    }

    public override bool HasError => _code != ErrorCode.Ok && _code != ToleratedError;

    public override void SetFailure(KeeperException error)
    {
        _code = error.Code;
        _error = error;
    }

    public override void Run()
    {
        if (callback is not null)
        {
            RunCallback(callback);
        }
        else if (_error is null)
        {
            _completion!.TrySetResult(_result);
        }
        else
        {
            _completion!.TrySetException(_error);
        }
    }

    private void RunCallback(Action<Reply<T>> completed)
    {
        try
        {
            completed(_code == ErrorCode.Ok ? new Reply<T>(ErrorCode.Ok, _result) : new Reply<T>(_code, default));
        }
#pragma warning disable CA1031 // A caller's callback may throw anything; the client must keep delivering.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }
}

/// <summary>A request nobody awaits: setWatches and the auth packets re-sent after a reconnect.</summary>
internal sealed class SilentRequest(OpCode op, JuteWriter frame) : Request(op, null, frame)
{
    public override bool HasError => false;

    public override void OnReply(int err, long zxid, ref JuteReader body)
    {
    }

    public override void SetFailure(KeeperException error)
    {
    }

    public override void Run()
    {
    }
}

/// <summary>Delivers one event to the watchers it fired.</summary>
internal sealed class WatchDelivery(List<Action<WatchedEvent>> watchers, WatchedEvent watchedEvent) : IDispatchItem
{
    public void Run()
    {
        foreach (var watcher in watchers)
        {
            Dispatcher.Guard(() => watcher(watchedEvent));
        }
    }
}

/// <summary>Raises one session event.</summary>
internal sealed class StateDelivery(Action<SessionEvent>? handler, SessionEvent sessionEvent) : IDispatchItem
{
    public void Run()
    {
        if (handler is not null)
        {
            Dispatcher.Guard(() => handler(sessionEvent));
        }
    }
}
