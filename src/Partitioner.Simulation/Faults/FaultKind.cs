namespace Partitioner.Simulation.Faults;

/// <summary>The faults the simulator injects; see <see cref="FaultInjector"/> for the model.</summary>
public enum FaultKind
{
    /// <summary>The member's TCP connection is reset; the client reconnects at once with the same session.</summary>
    ConnectionLoss,

    /// <summary>The member is cut off for less than the session timeout.</summary>
    ShortPartition,

    /// <summary>The member is cut off for longer than the session timeout: the server expires its session.</summary>
    LongPartition,

    /// <summary>
    /// An operator (or a tool, as kazoo's test harness does) kills the member's session on the leader by decree,
    /// before its timeout. No member can know of it in time: the claim checks exempt the killed session, and
    /// only fencing protects the work's writes.
    /// </summary>
    SessionExpiry,

    /// <summary>The server stops and comes back after the fault's duration; sessions and nodes survive.</summary>
    ServerRestart,

    /// <summary>The member's process dies; a new process with the same identifier starts after the duration.</summary>
    Crash,

    /// <summary>The member's process stops for the duration (longer than the session timeout), then resumes.</summary>
    Pause,

    /// <summary>From now on the member's consumer takes the duration to stop work and release.</summary>
    SlowConsumer,

    /// <summary>A new member joins the party.</summary>
    Join,

    /// <summary>The member finishes and leaves the party for good.</summary>
    Leave,

    /// <summary>A one-way cut for the duration: the member's requests and pings are held; replies and notifications still reach it.</summary>
    RequestsHeld,

    /// <summary>A one-way cut for the duration: the member's requests reach the server; replies and notifications are held.</summary>
    RepliesHeld,

    /// <summary>The member is cut off for 0.9 to 1.2 times the session timeout, where expiry races the reconnect.</summary>
    BorderlinePartition,

    /// <summary>The member's process stops for 0.9 to 1.2 times the session timeout.</summary>
    BorderlinePause,

    /// <summary>For the duration, each timer the member's clock runs fires late, by up to half the duration.</summary>
    LateTimers,

    /// <summary>An operator deletes a lock node: the lowest contender of one of the member's items (one it holds, if any).</summary>
    OperatorDeletesLock,

    /// <summary>An operator deletes the member's party node.</summary>
    OperatorDeletesPartyNode,

    /// <summary>
    /// The follower the member is connected to (or another one) is cut from the leader for the duration; it keeps
    /// answering its clients' pings while the leader expires their sessions.
    /// </summary>
    FollowerCut,

    /// <summary>
    /// For the duration, the leader answers the member's requests with transient codes (ThrottledOp, SessionMoved,
    /// OperationTimeout, or one of them or ConnectionLoss inside a multiRead) at a high rate; see <see cref="Scenario.TransientPermille"/>
    /// for the rate every member meets during the fault phase.
    /// </summary>
    TransientReplies,
}
