using Partitioner.Core;

namespace Partitioner.ZooKeeper.Port;

/// <summary>What the session did, as the shell needs to know it.</summary>
public enum SessionChange
{
    /// <summary>The connection was lost; the session may still be alive.</summary>
    Suspended,

    /// <summary>Connected again with the same session.</summary>
    Reconnected,

    /// <summary>The session is gone: expired or closed.</summary>
    Expired,

    /// <summary>The server refused the session's credentials and closed it; the session is gone.</summary>
    AuthFailed,
}

/// <summary>Where a port calls the shell back, and so where the shell may decide and raise its events.</summary>
public enum PortCallbacks
{
    /// <summary>
    /// On a thread the shell may decide on, inline (the simulator's one scheduler thread, a test's): a run stays a
    /// function of its seed.
    /// </summary>
    DecideInline,

    /// <summary>
    /// On a thread that others share and that must not be held (a client's dispatcher, which delivers every reply,
    /// watch and session event of that client): the shell decides on the thread pool instead, so that a handler that
    /// waits for the same client, or a slow one, holds up neither the client's other users nor its own replies.
    /// </summary>
    DecideOnThreadPool,
}

/// <summary>Where a port answers one of Core's requests: the shell gives one with each request it sends.</summary>
public interface IRequestSink
{
    /// <summary>
    /// The request's outcome, as Core's event for it (its <see cref="OperationCompleted.OpId"/> is the request's). Called
    /// exactly once per request, an error (ConnectionLoss, SessionExpired) included.
    /// </summary>
    /// <param name="completed">The outcome.</param>
    void Complete(OperationCompleted completed);

    /// <summary>
    /// The watch a watching <see cref="GetChildren"/> or <see cref="Exists"/> left has fired. Called at most once, and
    /// only for a request that asked for a watch.
    /// </summary>
    /// <param name="fired">The event, with the request's id and path.</param>
    void Notify(WatchFired fired);
}

/// <summary>
/// The small slice of ZooKeeper that the shell needs, in Core's terms: it takes Core's requests and answers each with
/// Core's event, so that the real client (through an adapter) and the simulator's in-memory ZooKeeper both sit behind it
/// and each translates once, in one place.
/// </summary>
/// <remarks>
/// Rules every implementation keeps:
/// <list type="bullet">
/// <item>Nothing is thrown for a ZooKeeper outcome: every error, ConnectionLoss and SessionExpired included, is an
/// answer with its code. <see cref="Send"/> throws only for a programming error (a null argument, a request it does
/// not know).</item>
/// <item>The answers of one session come in the order the requests were sent, and a server notification comes before
/// the answer of the write that caused it, when both reach the same session. Watch and session callbacks are in that
/// one order too.</item>
/// <item>Callbacks come on the thread that <see cref="Callbacks"/> says; never inside <see cref="Send"/> unless the port
/// answers at once by design (a test's or a benchmark's), which the shell allows.</item>
/// </list>
/// </remarks>
public interface IZooKeeperPort
{
    /// <summary>The negotiated session timeout (the requested one before the first connect).</summary>
    TimeSpan SessionTimeout { get; }

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the latest request or ping was SENT whose reply
    /// has come back, by the member's own clock: the last instant the member knows the server still had its
    /// session. Watch notifications, and replies that waited in the socket while the process was paused,
    /// must not move it later than their request's send time. It is the client's notion of "the server I talk
    /// to answered", which a follower cut from the leader keeps up; the shell's claims rest on what the leader
    /// answered instead (syncs and writes, see <c>LeaderConfirmation</c>).
    /// </summary>
    long LastConfirmedTimestamp { get; }

    /// <summary>
    /// The <see cref="TimeProvider.GetTimestamp"/> at which the connect request of the latest accepted handshake
    /// was sent; null before the first. A server accepts a connect only after the leader created or revalidated
    /// the session, so it is an instant the leader is known to have heard of the session after. It must be
    /// up to date when <see cref="SessionChange.Reconnected"/> is raised.
    /// </summary>
    long? AcceptedConnectTimestamp { get; }

    /// <summary>Where the port's callbacks come, and so where the shell decides.</summary>
    PortCallbacks Callbacks { get; }

    /// <summary>Raised on each session change, in order with the answers and watches.</summary>
    event Action<SessionChange>? SessionChanged;

    /// <summary>
    /// Sends one of Core's requests (<see cref="CreateNode"/>, <see cref="DeleteNode"/>, <see cref="GetChildren"/>,
    /// <see cref="Exists"/>, <see cref="Multi"/>, <see cref="MultiGetChildren"/>, <see cref="MultiGetStat"/>,
    /// <see cref="MultiGetData"/>) and answers it through <paramref name="sink"/>. Nodes are created with the ACL the
    /// request carries; a delete is of any version; an exists is Ok or NoNode and leaves its watch in both cases
    /// (ZooKeeper's semantics), a children read only when it succeeds.
    /// </summary>
    /// <param name="request">The request, as Core gave it.</param>
    /// <param name="sink">Where its answer and its watch go.</param>
    void Send(ZooKeeperCommand request, IRequestSink sink);

    /// <summary>
    /// ZooKeeper's sync: the server forwards it to the leader and answers (Ok) only after the leader has. The
    /// shell sends one on its own schedule to learn that the leader still hears of the session (see
    /// <c>LeaderConfirmation</c>); it is not one of Core's requests, so its answer is a bare code.
    /// </summary>
    /// <param name="path">The path to sync on.</param>
    /// <param name="answered">Called once with the code, in order with the other answers.</param>
    void Sync(string path, Action<ZooKeeperError> answered);
}
