using System.Text;

namespace ZooKeeper.Client;

/// <summary>
/// A ZooKeeper session over one pipelined connection: every method sends at once, many requests can be
/// in flight, and replies complete in the order the requests were made. Errors are
/// <see cref="KeeperException"/> subclasses that carry the path. Watches are one-shot callbacks, called
/// one at a time in the order events arrive, and always before the completion of any reply that
/// arrived after them. After a lost connection the client reconnects with the same session and re-arms
/// every watch with setWatches from the last zxid it saw (so a change made while disconnected still
/// fires); requests in flight at the loss fail with <see cref="ConnectionLossException"/> and are never
/// replayed, and requests made while reconnecting fail at once the same way.
/// </summary>
public sealed partial class ZooKeeperClient : IAsyncDisposable
{
    private readonly Session _session;
    private readonly ConnectionString _connection;
    private readonly ZooKeeperClientOptions _options;
    private int _closeStarted;

    private ZooKeeperClient(ConnectionString connection, ZooKeeperClientOptions options)
    {
        _connection = connection;
        _options = options;
        _session = new Session(connection, options) { StateHandler = e => StateChanged?.Invoke(e) };
    }

    /// <summary>Raised on each change of session state, in order, never on the socket's threads.</summary>
    public event Action<SessionEvent>? StateChanged;

    /// <summary>The session's state now.</summary>
    public ZooKeeperState State => _session.State;

    /// <summary>The session id given by the server.</summary>
    public long SessionId => _session.SessionId;

    /// <summary>The session timeout the server granted (the requested one before the first connect).</summary>
    public TimeSpan NegotiatedTimeout => _session.NegotiatedTimeout;

    /// <summary>The <see cref="TimeProvider.GetTimestamp"/> at which anything (a reply, a ping answer, a notification) last arrived.</summary>
    public long LastHeardTimestamp => _session.LastHeardTimestamp;

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the client sent the latest request or ping that the server
    /// has since answered (or completed the handshake): the session was certainly alive on the server after this moment.
    /// Unlike <see cref="LastHeardTimestamp"/> it does not move for watch notifications, nor for replies that waited in
    /// the socket while the process was paused, so it is the safe basis for deciding that the session may have expired.
    /// </summary>
    public long LastConfirmedTimestamp => _session.LastConfirmedTimestamp;

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the client sent the connect request of its latest
    /// accepted handshake; null before the first. A server accepts a connect only once the ensemble's leader has
    /// created the session (a new one) or revalidated it (a reconnect, which renews its timeout on the leader), so
    /// the leader heard of the session after this moment, even when the server is a follower.
    /// </summary>
    public long? AcceptedConnectTimestamp => _session.AcceptedConnectTimestamp;

    /// <summary>The clock of <see cref="LastHeardTimestamp"/>.</summary>
    public TimeProvider TimeProvider => _options.TimeProvider;

    /// <summary>The largest zxid seen in a reply.</summary>
    public long LastZxid => _session.LastZxid;

    /// <summary>
    /// How many replies were larger than <see cref="ZooKeeperClientOptions.FrameBytesMax"/>: each was read past and
    /// dropped, and its request failed with a <see cref="ReplyTooLargeException"/>; the connection stayed up.
    /// </summary>
    public long RepliesTooLargeCount => _session.RepliesTooLargeCount;

    /// <summary>How many requests wait, unsent, for a place in flight (see <see cref="ZooKeeperClientOptions.PendingRequestsMax"/>).</summary>
    internal int WaitingRequestCount => _session.WaitingCount;

    /// <summary>How many requests are in flight: sent and not yet answered.</summary>
    internal int PendingRequestCount => _session.PendingCount;

    /// <summary>The server of the live connection; null while disconnected.</summary>
    public ServerAddress? CurrentServer => _session.CurrentServer;

    /// <summary>Why the last connection ended (for example a malformed frame); null before any ended.</summary>
    public string? LastDisconnectReason => _session.LastDisconnectReason;

    /// <summary>The chroot of the connect string, or null.</summary>
    public string? Chroot => _connection.Chroot;

    /// <summary>
    /// Connects to one of the servers in <paramref name="connectString"/> and creates a session. Keeps trying
    /// the servers (with back-off) until connected, until <paramref name="cancellationToken"/> is cancelled, or
    /// until <see cref="ZooKeeperClientOptions.ConnectTimeout"/> passes.
    /// </summary>
    /// <exception cref="ConnectionLossException">The connect timeout passed; the message names the servers and the last reason.</exception>
    /// <param name="connectString"><c>host[:port][,host[:port]...][/chroot]</c>; the port defaults to 2181.</param>
    /// <param name="options">Settings; null for the defaults.</param>
    /// <param name="cancellationToken">Stops connecting; the client is then closed.</param>
    public static async Task<ZooKeeperClient> ConnectAsync(string connectString, ZooKeeperClientOptions? options = null, CancellationToken cancellationToken = default)
    {
        var parsed = ConnectionString.Parse(connectString);
        options ??= new ZooKeeperClientOptions();
        options.Validate();
        var client = new ZooKeeperClient(parsed, options);
        foreach (var auth in options.Auth)
        {
            client._session.RememberAuth(auth.Scheme, auth.Data);
        }

        client._session.Start();
        using var timeout = options.ConnectTimeout is { } limit ? new CancellationTokenSource(limit, options.TimeProvider) : null;
        using var linked = timeout is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await client._session.FirstConnect.WaitAsync(linked?.Token ?? cancellationToken).ConfigureAwait(false);
            if (options.Auth.Count > 0)
            {
                // The server handles the auth packets before the next request and closes the connection on a
                // refusal, so one answered round trip proves they were accepted.
                await ProbeAuthAsync(client, linked?.Token ?? cancellationToken).ConfigureAwait(false);
            }

            return client;
        }
        catch (OperationCanceledException) when (timeout is { IsCancellationRequested: true } && !cancellationToken.IsCancellationRequested)
        {
            // The reason is read before the close replaces it with "the client was closed".
            var reason = client.LastDisconnectReason ?? "no answer";
            await client.DisposeAsync().ConfigureAwait(false);
            throw KeeperException.Create(
                ErrorCode.ConnectionLoss,
                null,
                string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"could not connect to {string.Join(", ", parsed.Servers)} within {options.ConnectTimeout!.Value.TotalSeconds:0.###} s; the last attempt: {reason}"));
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// One answered round trip after the handshake proves the credentials were accepted. When the server refuses
    /// them it answers the auth packet and closes the connection; the probe can meet the closed connection before
    /// the refusal has been read, so a lost connection is followed by a short wait for the refusal (and one more
    /// probe on the next connection) before the loss is reported as it is.
    /// </summary>
    private static async Task ProbeAuthAsync(ZooKeeperClient client, CancellationToken cancellationToken)
    {
        const int ProbesMax = 3;
        for (int probe = 1; ; probe++)
        {
            try
            {
                await client.ExistsAsync("/", null, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (ConnectionLossException) when (probe < ProbesMax)
            {
                for (int wait = 0; wait < 40 && client.State is not (ZooKeeperState.AuthFailed or ZooKeeperState.Connected); wait++)
                {
                    await Task.Delay(TimeSpan.FromMilliseconds(50), client._options.TimeProvider, cancellationToken).ConfigureAwait(false);
                }

                if (client.State == ZooKeeperState.AuthFailed)
                {
                    throw KeeperException.Create(ErrorCode.AuthFailed, null, "the server refused the credentials");
                }
            }
        }
    }

    /// <summary>Creates a node and returns its path (with the sequence suffix for sequential modes).</summary>
    /// <param name="path">The node's path; for sequential modes the server appends 10 digits.</param>
    /// <param name="data">The node's data.</param>
    /// <param name="mode">Persistent, ephemeral, sequential or container.</param>
    /// <param name="acl">The node's ACL, such as <see cref="Acl.OpenUnsafe"/>.</param>
    /// <param name="cancellationToken">Stops waiting; the request itself cannot be taken back.</param>
    public Task<string> CreateAsync(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl> acl, CancellationToken cancellationToken = default) =>
        Send(CreateRequest(path, data, mode, acl, null), cancellationToken, nameof(data));

    /// <summary>Deletes a node; <paramref name="version"/> -1 means any version.</summary>
    public Task DeleteAsync(string path, int version = -1, CancellationToken cancellationToken = default) =>
        Send(DeleteRequest(path, version, null), cancellationToken);

    /// <summary>
    /// Returns the node's stat, or null when it does not exist. A watcher is armed in both cases: it fires
    /// on creation of a missing node, and on change or deletion of an existing one.
    /// </summary>
    public Task<Stat?> ExistsAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default) =>
        Send(ExistsRequest(path, watcher, null), cancellationToken);

    /// <summary>Returns the node's data and stat; the watcher (armed only when the node exists) fires on change or deletion.</summary>
    public Task<(byte[] Data, Stat Stat)> GetDataAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        var frame = ReadFrame(OpCode.GetData, path, watcher);
        var request = new Request<(byte[], Stat)>(OpCode.GetData, path, frame, static (ref JuteReader r) => (r.ReadBuffer() ?? [], r.ReadStat()))
        {
            Watch = WatchFor(OpCode.GetData, path, watcher),
        };
        return Send(request, cancellationToken);
    }

    /// <summary>Replaces the node's data when its version is <paramref name="version"/> (-1: any) and returns the new stat.</summary>
    public Task<Stat> SetDataAsync(string path, ReadOnlyMemory<byte> data, int version = -1, CancellationToken cancellationToken = default)
    {
        PathValidation.Validate(path);
        var frame = Request.Begin(OpCode.SetData, 64 + data.Length);
        frame.WriteString(_connection.ToServerPath(path));
        frame.WriteBuffer(data.Span);
        frame.WriteInt(version);
        return Send(new Request<Stat>(OpCode.SetData, path, frame, static (ref JuteReader r) => r.ReadStat()), cancellationToken, nameof(data));
    }

    /// <summary>Returns the node's children (names only, sorted ordinally); the watcher (armed only when the node exists) fires on a change of children or deletion.</summary>
    public Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default)
    {
        // Not an async method, so that an invalid path throws here, before anything is queued.
        var withStat = GetChildrenWithStatAsync(path, watcher, cancellationToken);
        return ChildrenOnly(withStat);

        static async Task<IReadOnlyList<string>> ChildrenOnly(Task<(IReadOnlyList<string> Children, Stat Stat)> task) =>
            (await task.ConfigureAwait(false)).Children;
    }

    /// <summary>Returns the node's children (sorted ordinally) and its stat, as <see cref="GetChildrenAsync"/> does.</summary>
    public Task<(IReadOnlyList<string> Children, Stat Stat)> GetChildrenWithStatAsync(string path, Action<WatchedEvent>? watcher = null, CancellationToken cancellationToken = default) =>
        Send(ChildrenRequest(path, watcher, static (ref JuteReader r) => (SortedChildren(ref r), r.ReadStat()), null), cancellationToken);

    /// <summary>
    /// Runs the ops atomically and returns one result per op. When one fails none takes effect, and this throws
    /// the failing op's <see cref="KeeperException"/> with <see cref="KeeperException.FailedOpIndex"/> and
    /// <see cref="KeeperException.MultiResults"/> set. <see cref="TryMultiAsync"/> returns the failure instead.
    /// </summary>
    public Task<IReadOnlyList<OpResult>> MultiAsync(IEnumerable<Op> ops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ops);
        var list = ops.ToList();
        var outcome = TryMultiAsync(list, cancellationToken);
        return ThrowOnFailure(outcome, list);

        static async Task<IReadOnlyList<OpResult>> ThrowOnFailure(Task<MultiResult> task, List<Op> list)
        {
            var result = await task.ConfigureAwait(false);
            return result.Succeeded ? result.Results : throw KeeperException.ForMulti(result, list[result.FailedOpIndex].Path);
        }
    }

    /// <summary>Runs the ops atomically and returns the outcome, success or not; throws only when the request as a whole fails (for example ConnectionLoss).</summary>
    public Task<MultiResult> TryMultiAsync(IEnumerable<Op> ops, CancellationToken cancellationToken = default) =>
        Send(MultiRequest(ops, null), cancellationToken, nameof(ops));

    /// <summary>Runs children and data reads in one request (ZooKeeper 3.6+); each read succeeds or fails on its own, and none leaves a watch.</summary>
    public Task<IReadOnlyList<ReadResult>> MultiReadAsync(IEnumerable<ReadOp> ops, CancellationToken cancellationToken = default) =>
        Send(MultiReadRequest(ops, null), cancellationToken, nameof(ops));

    /// <summary>Waits until the server this session is connected to has caught up with the leader on <paramref name="path"/>.</summary>
    public Task SyncAsync(string path, CancellationToken cancellationToken = default) =>
        Send(SyncRequest(path, null), cancellationToken);

    /// <summary>
    /// Adds credentials to the session, such as <c>("digest", "user:password")</c>; they are sent again on every
    /// reconnect. A refusal ends the session in <see cref="ZooKeeperState.AuthFailed"/>.
    /// </summary>
    public Task AddAuthAsync(string scheme, string auth, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(scheme);
        ArgumentNullException.ThrowIfNull(auth);
        var bytes = Encoding.UTF8.GetBytes(auth);
        var request = new Request<bool>(OpCode.Auth, null, Session.AuthFrame(scheme, bytes), static (ref JuteReader _) => true);
        _session.RememberAuth(scheme, bytes);
        return Send(request, cancellationToken);
    }

    /// <summary>
    /// Closes the session: the server deletes its ephemeral nodes. Waits up to <see cref="ZooKeeperClientOptions.CloseTimeout"/>
    /// for the server's answer, then closes the socket and fails anything still in flight. Safe to call twice.
    /// </summary>
    public async Task CloseAsync()
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            await _session.Exited.ConfigureAwait(false);
            return;
        }

        if (_session.BeginClose())
        {
            var request = new Request<bool>(OpCode.CloseSession, null, Request.Begin(OpCode.CloseSession), static (ref JuteReader _) => true);
            _session.Submit(request);
            await ((Task)request.Task).WaitAsync(_options.CloseTimeout, _options.TimeProvider)
                .ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _session.Shutdown();
        await _session.Exited.ConfigureAwait(false);
    }

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    public async ValueTask DisposeAsync() => await CloseAsync().ConfigureAwait(false);

    private static OpCode OpCodeOf(CreateMode mode) => mode == CreateMode.Container ? OpCode.CreateContainer : OpCode.Create;

    private void WriteCreate(JuteWriter frame, string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl> acl)
    {
        frame.WriteString(_connection.ToServerPath(path));
        frame.WriteBuffer(data.Span);
        frame.WriteAcls(acl);
        frame.WriteInt((int)mode);
    }

    private string CreatedPath(ref JuteReader reader, bool withStat)
    {
        var path = _connection.ToClientPath(reader.ReadString() ?? throw new ProtocolException("a create reply without a path"));
        if (withStat)
        {
            reader.ReadStat();
        }

        return path;
    }

    internal static IReadOnlyList<string> SortedChildren(ref JuteReader reader)
    {
        var children = reader.ReadStrings();
        children.Sort(StringComparer.Ordinal);
        return children;
    }

    private JuteWriter ReadFrame(OpCode op, string path, Action<WatchedEvent>? watcher)
    {
        PathValidation.Validate(path);
        var frame = Request.Begin(op);
        frame.WriteString(_connection.ToServerPath(path));
        frame.WriteBool(watcher is not null);
        return frame;
    }

    private static WatchRegistration? WatchFor(OpCode op, string path, Action<WatchedEvent>? watcher) =>
        watcher is null ? null : new WatchRegistration(op, path, watcher);

    private Task<T> Send<T>(Request<T> request, CancellationToken cancellationToken, string parameterName = "path")
    {
        cancellationToken.ThrowIfCancellationRequested();
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _closeStarted) != 0, this);
        CheckFrameLength(request, parameterName);
        _session.Submit(request);
        return cancellationToken.CanBeCanceled ? request.Task.WaitAsync(cancellationToken) : request.Task;
    }

    /// <summary>The server drops the connection on a frame over its jute.maxbuffer, so the client refuses it instead.</summary>
    private void CheckFrameLength(Request request, string parameterName)
    {
        if (request.FrameLength - 4 > _options.FrameBytesMax)
        {
            throw new ArgumentException(
                $"The request for '{request.Path ?? request.Op.ToString()}' is {request.FrameLength - 4} bytes, over FrameBytesMax ({_options.FrameBytesMax}).",
                parameterName);
        }
    }
}
