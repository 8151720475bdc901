namespace Partitioner.Core;

/// <summary>
/// The ZooKeeper result codes Core reasons about. The numbers are ZooKeeper's own, so the
/// shell can pass any code through; Core treats codes it does not name as fatal.
/// </summary>
public enum ZooKeeperError
{
    /// <summary>Success.</summary>
    Ok = 0,
    /// <summary>A system error on the server.</summary>
    SystemError = -1,
    /// <summary>The connection was lost before the answer came; a write's outcome is unknown.</summary>
    ConnectionLoss = -4,
    /// <summary>The reply was larger than the client accepts (its frame limit); the client dropped it and failed the request.</summary>
    MarshallingError = -5,
    /// <summary>The server does not implement the operation (for example multiRead before 3.6).</summary>
    Unimplemented = -6,
    /// <summary>The operation timed out.</summary>
    OperationTimeout = -7,
    /// <summary>Invalid arguments.</summary>
    BadArguments = -8,
    /// <summary>The node does not exist.</summary>
    NoNode = -101,
    /// <summary>The session is not authorized for the operation.</summary>
    NoAuth = -102,
    /// <summary>The version did not match.</summary>
    BadVersion = -103,
    /// <summary>Ephemeral nodes cannot have children.</summary>
    NoChildrenForEphemerals = -108,
    /// <summary>The node already exists.</summary>
    NodeExists = -110,
    /// <summary>The node has children.</summary>
    NotEmpty = -111,
    /// <summary>The session has expired.</summary>
    SessionExpired = -112,
    /// <summary>Invalid ACL.</summary>
    InvalidAcl = -114,
    /// <summary>Authentication failed.</summary>
    AuthFailed = -115,
    /// <summary>The session moved to another server.</summary>
    SessionMoved = -118,
    /// <summary>An op inside a failed multi that was not run because an earlier op failed.</summary>
    RuntimeInconsistency = -2,
    /// <summary>The request was throttled.</summary>
    ThrottledOp = -127,
}
