namespace ZooKeeper.Client;

/// <summary>
/// A ZooKeeper outcome other than success, with its <see cref="Code"/> and the path it concerns.
/// Every instance is made by <see cref="Create(ErrorCode, string?, string?)"/>, so that one code always
/// maps to one exception type.
/// </summary>
public class KeeperException : Exception
{
    /// <summary>Creates an exception for <paramref name="code"/>; use <see cref="Create(ErrorCode, string?, string?)"/> instead.</summary>
    protected internal KeeperException(ErrorCode code, string? path, string? detail)
        : base(FormatMessage(code, path, detail))
    {
        Code = code;
        Path = path;
    }

    /// <summary>The ZooKeeper error code.</summary>
    public ErrorCode Code { get; }

    /// <summary>The path of the request that failed, as the caller wrote it (without the chroot); null when none.</summary>
    public string? Path { get; }

    /// <summary>For a failed multi: the index of the first op that failed; otherwise -1.</summary>
    public int FailedOpIndex { get; private set; } = -1;

    /// <summary>For a failed multi: one result per op (the failing op and those after it as <see cref="ErrorResult"/>); otherwise empty.</summary>
    public IReadOnlyList<OpResult> MultiResults { get; private set; } = [];

    /// <summary>Makes the exception type that belongs to <paramref name="code"/>.</summary>
    /// <param name="code">The error code; must not be <see cref="ErrorCode.Ok"/>.</param>
    /// <param name="path">The path concerned, if any.</param>
    /// <param name="detail">Extra text for the message, such as why a connection was dropped.</param>
    public static KeeperException Create(ErrorCode code, string? path = null, string? detail = null)
    {
        if (code == ErrorCode.Ok)
        {
            throw new ArgumentException($"Ok ({(int)code}) is not an error.", nameof(code));
        }

        return code switch
        {
            ErrorCode.NoNode => new NoNodeException(path, detail),
            ErrorCode.NodeExists => new NodeExistsException(path, detail),
            ErrorCode.NotEmpty => new NotEmptyException(path, detail),
            ErrorCode.BadVersion => new BadVersionException(path, detail),
            ErrorCode.NoAuth => new NoAuthException(path, detail),
            ErrorCode.NoChildrenForEphemerals => new NoChildrenForEphemeralsException(path, detail),
            ErrorCode.InvalidAcl => new InvalidAclException(path, detail),
            ErrorCode.SessionExpired => new SessionExpiredException(path, detail),
            ErrorCode.ConnectionLoss => new ConnectionLossException(path, detail),
            ErrorCode.AuthFailed => new AuthFailedException(path, detail),
            ErrorCode.Unimplemented => new UnimplementedException(path, detail),
            ErrorCode.BadArguments => new BadArgumentsException(path, detail),
            _ => new KeeperException(code, path, detail),
        };
    }

    /// <summary>Makes the exception a failed multi throws: the failing op's error, carrying every op's result.</summary>
    internal static KeeperException ForMulti(MultiResult result, string? failedPath)
    {
        var exception = Create(result.Error, failedPath, $"op {result.FailedOpIndex} of a multi failed");
        exception.FailedOpIndex = result.FailedOpIndex;
        exception.MultiResults = result.Results;
        return exception;
    }

    private static string FormatMessage(ErrorCode code, string? path, string? detail)
    {
        var text = path is null ? $"{code} ({(int)code})" : $"{code} ({(int)code}) for {path}";
        return detail is null ? text : $"{text}: {detail}";
    }
}

/// <summary>The node does not exist.</summary>
public sealed class NoNodeException(string? path, string? detail) : KeeperException(ErrorCode.NoNode, path, detail);

/// <summary>The node already exists.</summary>
public sealed class NodeExistsException(string? path, string? detail) : KeeperException(ErrorCode.NodeExists, path, detail);

/// <summary>The node has children and cannot be deleted.</summary>
public sealed class NotEmptyException(string? path, string? detail) : KeeperException(ErrorCode.NotEmpty, path, detail);

/// <summary>The expected version did not match.</summary>
public sealed class BadVersionException(string? path, string? detail) : KeeperException(ErrorCode.BadVersion, path, detail);

/// <summary>The node's ACL refuses this session.</summary>
public sealed class NoAuthException(string? path, string? detail) : KeeperException(ErrorCode.NoAuth, path, detail);

/// <summary>An ephemeral node cannot have children.</summary>
public sealed class NoChildrenForEphemeralsException(string? path, string? detail) : KeeperException(ErrorCode.NoChildrenForEphemerals, path, detail);

/// <summary>The ACL is invalid (for example creator-all without any authenticated identity).</summary>
public sealed class InvalidAclException(string? path, string? detail) : KeeperException(ErrorCode.InvalidAcl, path, detail);

/// <summary>The session expired: its ephemeral nodes and watches are gone, and the client is finished.</summary>
public sealed class SessionExpiredException(string? path, string? detail) : KeeperException(ErrorCode.SessionExpired, path, detail);

/// <summary>The connection was lost before the reply came: the outcome of a write is unknown. Nothing is retried.</summary>
public sealed class ConnectionLossException(string? path, string? detail) : KeeperException(ErrorCode.ConnectionLoss, path, detail);

/// <summary>The server refused the credentials; the client is finished.</summary>
public sealed class AuthFailedException(string? path, string? detail) : KeeperException(ErrorCode.AuthFailed, path, detail);

/// <summary>The server does not implement or has not enabled the operation.</summary>
public sealed class UnimplementedException(string? path, string? detail) : KeeperException(ErrorCode.Unimplemented, path, detail);

/// <summary>The server found the arguments invalid.</summary>
public sealed class BadArgumentsException(string? path, string? detail) : KeeperException(ErrorCode.BadArguments, path, detail);

/// <summary>
/// The reply was larger than <see cref="ZooKeeperClientOptions.FrameBytesMax"/>: the client read past it without
/// keeping it, failed this request alone and kept the connection. Its code is ZooKeeper's MarshallingError.
/// </summary>
public sealed class ReplyTooLargeException : KeeperException
{
    internal ReplyTooLargeException(string? path, int replyBytes, int replyBytesMax)
        : base(ErrorCode.MarshallingError, path, $"the reply is {replyBytes} bytes, over the client's frame limit of {replyBytesMax} bytes (FrameBytesMax)")
    {
        ReplyBytes = replyBytes;
        ReplyBytesMax = replyBytesMax;
    }

    /// <summary>The reply's length in bytes, as the server framed it.</summary>
    public int ReplyBytes { get; }

    /// <summary>The limit it passed: the client's <see cref="ZooKeeperClientOptions.FrameBytesMax"/>.</summary>
    public int ReplyBytesMax { get; }
}
