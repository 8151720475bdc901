namespace ZooKeeper.Client;

/// <content>
/// The requests with an ordered completion callback, beside the task methods, and the request builders both share.
/// </content>
/// <remarks>
/// A method that takes a <c>completed</c> callback sends the same request as its task method and calls the
/// callback exactly once, with a <see cref="Reply{T}"/>: every outcome is a code, so an expected one (NoNode,
/// NodeExists) costs no exception. The callback runs on the client's dispatcher, in the order the replies arrived,
/// interleaved in server order with the watch callbacks and <see cref="StateChanged"/>, never on the socket's
/// threads: a caller that hands every result to one queue gets them in the order the server produced them, with
/// nothing to put back in order. It must be quick and must not wait for this client (a reply it waits for would
/// queue behind it); an exception it throws is dropped. Invalid arguments throw before anything is sent, as with
/// the task methods; a client that is closed answers SessionExpired (its session has ended), in its turn.
/// </remarks>
public sealed partial class ZooKeeperClient
{
    /// <summary>Creates a node, as <see cref="CreateAsync"/> does; <paramref name="completed"/> gets the created path (see the remarks on ordered callbacks).</summary>
    /// <param name="path">The node's path; for sequential modes the server appends 10 digits.</param>
    /// <param name="data">The node's data.</param>
    /// <param name="mode">Persistent, ephemeral, sequential or container.</param>
    /// <param name="acl">The node's ACL, such as <see cref="Acl.OpenUnsafe"/>.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order, with the path or the error code.</param>
    public void Create(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl> acl, Action<Reply<string>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(CreateRequest(path, data, mode, acl, completed), nameof(data));
    }

    /// <summary>Deletes a node, as <see cref="DeleteAsync"/> does; <paramref name="completed"/> gets Ok (value true) or the error code.</summary>
    /// <param name="path">The node to delete.</param>
    /// <param name="version">The version it must have; -1 means any version.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order.</param>
    public void Delete(string path, int version, Action<Reply<bool>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(DeleteRequest(path, version, completed));
    }

    /// <summary>
    /// Asks for the node's stat, as <see cref="ExistsAsync"/> does: <paramref name="completed"/> gets Ok and the stat, or
    /// NoNode when the node does not exist. The watcher is armed in both cases, before the callback runs.
    /// </summary>
    /// <param name="path">The node.</param>
    /// <param name="watcher">A one-shot watch, or null.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order.</param>
    public void Exists(string path, Action<WatchedEvent>? watcher, Action<Reply<Stat?>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(ExistsRequest(path, watcher, completed));
    }

    /// <summary>
    /// Lists the node's children (sorted ordinally), as <see cref="GetChildrenAsync"/> does; the watcher is armed only
    /// when the read succeeds, before the callback runs.
    /// </summary>
    /// <param name="path">The node.</param>
    /// <param name="watcher">A one-shot watch, or null.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order.</param>
    public void GetChildren(string path, Action<WatchedEvent>? watcher, Action<Reply<IReadOnlyList<string>>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(ChildrenRequest(path, watcher, static (ref JuteReader r) => SortedChildren(ref r), completed));
    }

    /// <summary>
    /// Runs the ops atomically, as <see cref="TryMultiAsync"/> does: <paramref name="completed"/> gets Ok and the multi's
    /// outcome (which says whether the ops applied), or the code of the request as a whole (for example ConnectionLoss).
    /// </summary>
    /// <param name="ops">The writes.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order.</param>
    public void Multi(IEnumerable<Op> ops, Action<Reply<MultiResult>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(MultiRequest(ops, completed), nameof(ops));
    }

    /// <summary>Runs the reads in one request, as <see cref="MultiReadAsync"/> does; each read succeeds or fails on its own.</summary>
    /// <param name="ops">The reads.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order, with one result per read or the request's code.</param>
    public void MultiRead(IEnumerable<ReadOp> ops, Action<Reply<IReadOnlyList<ReadResult>>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(MultiReadRequest(ops, completed), nameof(ops));
    }

    /// <summary>A sync, as <see cref="SyncAsync"/>; <paramref name="completed"/> gets Ok (value true) once the server has caught up with the leader.</summary>
    /// <param name="path">The path to sync on.</param>
    /// <param name="completed">Called once, on the dispatcher in reply order.</param>
    public void Sync(string path, Action<Reply<bool>> completed)
    {
        ArgumentNullException.ThrowIfNull(completed);
        SendOrdered(SyncRequest(path, completed));
    }

    private void SendOrdered(Request request, string parameterName = "path")
    {
        CheckFrameLength(request, parameterName);
        if (Volatile.Read(ref _closeStarted) != 0)
        {
            // A closed client's session has ended (Java's client answers SessionExpired too). The answer goes through the
            // dispatcher, so it takes its turn behind every earlier request's.
            request.SetFailure(KeeperException.Create(ErrorCode.SessionExpired, request.Path, "the client is closed"));
            _session.Dispatcher.Post(request);
            return;
        }

        _session.Submit(request);
    }

    private Request<string> CreateRequest(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl> acl, Action<Reply<string>>? completed)
    {
        MultiCodec.CheckCreate(path, mode, acl);
        var frame = Request.Begin(OpCodeOf(mode), 64 + data.Length);
        WriteCreate(frame, path, data, mode, acl);
        ReplyDecoder<string> decode = mode == CreateMode.Container
            ? (ref JuteReader r) => CreatedPath(ref r, withStat: true)
            : (ref JuteReader r) => CreatedPath(ref r, withStat: false);
        return new Request<string>(OpCodeOf(mode), path, frame, decode, completed);
    }

    private Request<bool> DeleteRequest(string path, int version, Action<Reply<bool>>? completed)
    {
        PathValidation.Validate(path);
        var frame = Request.Begin(OpCode.Delete);
        frame.WriteString(_connection.ToServerPath(path));
        frame.WriteInt(version);
        return new Request<bool>(OpCode.Delete, path, frame, static (ref JuteReader _) => true, completed);
    }

    private Request<Stat?> ExistsRequest(string path, Action<WatchedEvent>? watcher, Action<Reply<Stat?>>? completed)
    {
        var frame = ReadFrame(OpCode.Exists, path, watcher);
        return new Request<Stat?>(OpCode.Exists, path, frame, static (ref JuteReader r) => r.ReadStat(), completed)
        {
            ToleratedError = ErrorCode.NoNode,
            ToleratedValue = null,
            Watch = WatchFor(OpCode.Exists, path, watcher),
        };
    }

    private Request<T> ChildrenRequest<T>(string path, Action<WatchedEvent>? watcher, ReplyDecoder<T> decode, Action<Reply<T>>? completed)
    {
        var frame = ReadFrame(OpCode.GetChildren2, path, watcher);
        return new Request<T>(OpCode.GetChildren2, path, frame, decode, completed)
        {
            Watch = WatchFor(OpCode.GetChildren2, path, watcher),
        };
    }

    private Request<MultiResult> MultiRequest(IEnumerable<Op> ops, Action<Reply<MultiResult>>? completed)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var list = ops as IReadOnlyList<Op> ?? ops.ToList();
        var frame = Request.Begin(OpCode.Multi, 64 * (list.Count + 1));
        foreach (var op in list)
        {
            MultiCodec.WriteOp(frame, op, _connection);
        }

        MultiCodec.WriteEnd(frame);
        var count = list.Count;
        return new Request<MultiResult>(OpCode.Multi, null, frame, (ref JuteReader r, long zxid) => MultiCodec.ReadMulti(ref r, count, _connection, zxid), completed);
    }

    private Request<IReadOnlyList<ReadResult>> MultiReadRequest(IEnumerable<ReadOp> ops, Action<Reply<IReadOnlyList<ReadResult>>>? completed)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var list = ops as IReadOnlyList<ReadOp> ?? ops.ToList();
        var frame = Request.Begin(OpCode.MultiRead, 64 * (list.Count + 1));
        foreach (var op in list)
        {
            MultiCodec.WriteReadOp(frame, op, _connection);
        }

        MultiCodec.WriteEnd(frame);
        var count = list.Count;
        return new Request<IReadOnlyList<ReadResult>>(OpCode.MultiRead, null, frame, (ref JuteReader r) => MultiCodec.ReadMultiRead(ref r, count), completed);
    }

    private Request<bool> SyncRequest(string path, Action<Reply<bool>>? completed)
    {
        PathValidation.Validate(path);
        var frame = Request.Begin(OpCode.Sync);
        frame.WriteString(_connection.ToServerPath(path));
        return new Request<bool>(OpCode.Sync, path, frame, static (ref JuteReader r) =>
        {
            r.ReadString();
            return true;
        }, completed);
    }
}
