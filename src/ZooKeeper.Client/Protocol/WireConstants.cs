namespace ZooKeeper.Client;

/// <summary>Request types on the wire (ZooKeeper 3.8 <c>ZooDefs.OpCode</c>); only the ones this client sends or reads.</summary>
internal enum OpCode
{
    Error = -1,
    CloseSession = -11,
    Notification = 0,
    Create = 1,
    Delete = 2,
    Exists = 3,
    GetData = 4,
    SetData = 5,
    GetChildren = 8,
    Sync = 9,
    Ping = 11,
    GetChildren2 = 12,
    Check = 13,
    Multi = 14,
    Create2 = 15,
    CreateContainer = 19,
    MultiRead = 22,
    Auth = 100,
    SetWatches = 101,
}

/// <summary>Reserved request ids. Replies carrying them are outside the in-flight FIFO, except setWatches.</summary>
internal static class Xids
{
    /// <summary>A watch notification pushed by the server.</summary>
    public const int Notification = -1;

    /// <summary>A ping and its reply.</summary>
    public const int Ping = -2;

    /// <summary>An auth packet; the server answers it out of band, possibly ahead of earlier replies.</summary>
    public const int Auth = -4;

    /// <summary>setWatches; its reply comes back in FIFO order.</summary>
    public const int SetWatches = -8;
}

/// <summary>Sizes and limits of the protocol.</summary>
internal static class WireLimits
{
    /// <summary>The server's default <c>jute.maxbuffer</c>: the largest frame either side accepts.</summary>
    public const int FrameBytesDefault = 0xFFFFF;

    /// <summary>
    /// A frame over the client's limit but under this many bytes is read past and fails only its request; a longer
    /// length is taken for a corrupt stream (no reply of 256 MiB is plausible) and drops the connection.
    /// </summary>
    public const int SkippedFrameBytesMax = 256 * 1024 * 1024;

    /// <summary>The password of a new session: 16 zero bytes.</summary>
    public const int PasswordBytes = 16;

    /// <summary>setWatches requests are split so that no single one grows past this many bytes (as Java does).</summary>
    public const int SetWatchesBatchBytesMax = 128 * 1024;

    /// <summary>Requests up to this size may be written on the caller's thread when the writer is idle.</summary>
    public const int InlineSendBytesMax = 4096;

    /// <summary>A ping is sent at the latest after this long without sending anything.</summary>
    public static readonly TimeSpan PingIntervalMax = TimeSpan.FromSeconds(10);
}

/// <summary>ZooKeeper's error codes (3.8.0). Zero is success.</summary>
public enum ErrorCode
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>A system error on the server.</summary>
    SystemError = -1,
    /// <summary>A runtime inconsistency was found.</summary>
    RuntimeInconsistency = -2,
    /// <summary>A data inconsistency was found.</summary>
    DataInconsistency = -3,
    /// <summary>The connection to the server was lost; the outcome of a write is unknown.</summary>
    ConnectionLoss = -4,
    /// <summary>Error while marshalling or unmarshalling data.</summary>
    MarshallingError = -5,
    /// <summary>The operation is not implemented by the server (or not enabled).</summary>
    Unimplemented = -6,
    /// <summary>The operation timed out.</summary>
    OperationTimeout = -7,
    /// <summary>Invalid arguments.</summary>
    BadArguments = -8,
    /// <summary>Unknown session (internal server error).</summary>
    UnknownSession = -12,
    /// <summary>No quorum of the new configuration is connected.</summary>
    NewConfigNoQuorum = -13,
    /// <summary>Another reconfiguration is in progress.</summary>
    ReconfigInProgress = -14,
    /// <summary>The start of the API error range.</summary>
    ApiError = -100,
    /// <summary>The node does not exist.</summary>
    NoNode = -101,
    /// <summary>Not authorised by the node's ACL.</summary>
    NoAuth = -102,
    /// <summary>The expected version does not match the node's version.</summary>
    BadVersion = -103,
    /// <summary>Ephemeral nodes may not have children.</summary>
    NoChildrenForEphemerals = -108,
    /// <summary>The node already exists.</summary>
    NodeExists = -110,
    /// <summary>The node has children.</summary>
    NotEmpty = -111,
    /// <summary>The session has expired; its ephemeral nodes are gone.</summary>
    SessionExpired = -112,
    /// <summary>Invalid callback.</summary>
    InvalidCallback = -113,
    /// <summary>Invalid ACL.</summary>
    InvalidAcl = -114,
    /// <summary>Authentication failed.</summary>
    AuthFailed = -115,
    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,
    /// <summary>A write was sent to a read-only server.</summary>
    NotReadOnly = -119,
    /// <summary>An ephemeral node was created on a local session.</summary>
    EphemeralOnLocalSession = -120,
    /// <summary>The watch to remove does not exist.</summary>
    NoWatcher = -121,
    /// <summary>The request timed out on the server.</summary>
    RequestTimeout = -122,
    /// <summary>Reconfiguration is disabled.</summary>
    ReconfigDisabled = -123,
    /// <summary>The session was closed because it requires SASL authentication.</summary>
    SessionClosedRequireSaslAuth = -124,
    /// <summary>A quota was exceeded.</summary>
    QuotaExceeded = -125,
    /// <summary>The operation was throttled.</summary>
    ThrottledOp = -127,
}

/// <summary>What a watch notification is about.</summary>
public enum EventType
{
    /// <summary>Not about a node: a session-state event produced by the client.</summary>
    None = -1,
    /// <summary>The node was created.</summary>
    NodeCreated = 1,
    /// <summary>The node was deleted.</summary>
    NodeDeleted = 2,
    /// <summary>The node's data changed.</summary>
    NodeDataChanged = 3,
    /// <summary>The node's children changed.</summary>
    NodeChildrenChanged = 4,
}

/// <summary>The session state carried by a watch notification (ZooKeeper's <c>KeeperState</c>).</summary>
public enum KeeperState
{
    /// <summary>The connection was lost.</summary>
    Disconnected = 0,
    /// <summary>Connected; every server notification carries this state.</summary>
    SyncConnected = 3,
    /// <summary>Authentication failed.</summary>
    AuthFailed = 4,
    /// <summary>The session expired.</summary>
    Expired = -112,
    /// <summary>The client was closed.</summary>
    Closed = 7,
}

/// <summary>ACL permission bits.</summary>
[Flags]
public enum Perms
{
    /// <summary>No permission.</summary>
    None = 0,
    /// <summary>Read data and list children.</summary>
    Read = 1,
    /// <summary>Set data.</summary>
    Write = 2,
    /// <summary>Create children.</summary>
    Create = 4,
    /// <summary>Delete children.</summary>
    Delete = 8,
    /// <summary>Set the ACL.</summary>
    Admin = 16,
    /// <summary>Every permission.</summary>
    All = Read | Write | Create | Delete | Admin,
}
