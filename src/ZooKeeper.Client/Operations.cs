namespace ZooKeeper.Client;

/// <summary>One write inside a multi. Build them with the static methods.</summary>
public abstract record Op(string Path)
{
    /// <summary>A create.</summary>
    public static Op Create(string path, ReadOnlyMemory<byte> data, CreateMode mode, IReadOnlyList<Acl> acl) =>
        new CreateOp(path, data, mode, acl);

    /// <summary>A delete; version -1 means any version.</summary>
    public static Op Delete(string path, int version = -1) => new DeleteOp(path, version);

    /// <summary>A set-data; version -1 means any version.</summary>
    public static Op SetData(string path, ReadOnlyMemory<byte> data, int version = -1) => new SetDataOp(path, data, version);

    /// <summary>A version check: the multi fails unless the node's version is <paramref name="version"/>.</summary>
    public static Op Check(string path, int version) => new CheckOp(path, version);
}

/// <summary>A create inside a multi.</summary>
public sealed record CreateOp(string Path, ReadOnlyMemory<byte> Data, CreateMode Mode, IReadOnlyList<Acl> Acl) : Op(Path);

/// <summary>A delete inside a multi.</summary>
public sealed record DeleteOp(string Path, int Version) : Op(Path);

/// <summary>A set-data inside a multi.</summary>
public sealed record SetDataOp(string Path, ReadOnlyMemory<byte> Data, int Version) : Op(Path);

/// <summary>A version check inside a multi.</summary>
public sealed record CheckOp(string Path, int Version) : Op(Path);

/// <summary>The result of one op of a multi.</summary>
public abstract record OpResult;

/// <summary>A create succeeded; <see cref="Path"/> is the created node (with its sequence suffix).</summary>
public sealed record CreateResult(string Path, Stat? Stat) : OpResult;

/// <summary>A delete succeeded.</summary>
public sealed record DeleteResult : OpResult;

/// <summary>A set-data succeeded.</summary>
public sealed record SetDataResult(Stat Stat) : OpResult;

/// <summary>A check succeeded.</summary>
public sealed record CheckResult : OpResult;

/// <summary>
/// An op of a failed multi: <see cref="ErrorCode.Ok"/> for ops before the failing one (rolled back),
/// the failing op's code, and <see cref="ErrorCode.RuntimeInconsistency"/> for the ops after it.
/// </summary>
public sealed record ErrorResult(ErrorCode Error) : OpResult;

/// <summary>The outcome of a multi: every op succeeded, or none took effect and one op is named as the cause.</summary>
/// <param name="Error">Ok, or the failing op's error.</param>
/// <param name="FailedOpIndex">The failing op's index, or -1.</param>
/// <param name="Results">One result per op.</param>
public sealed record MultiResult(ErrorCode Error, int FailedOpIndex, IReadOnlyList<OpResult> Results)
{
    /// <summary>True when every op took effect.</summary>
    public bool Succeeded => Error == ErrorCode.Ok;

    /// <summary>
    /// The zxid of the multi's transaction, from the reply's header, when every op took effect; 0 otherwise (and by
    /// default). ZooKeeper applies a multi as one transaction, so every node it created has this as its creation zxid
    /// (<see cref="Stat.Czxid"/>), even though a 3.8 server answers each create inside a multi with the path alone.
    /// </summary>
    public long Zxid { get; init; }
}

/// <summary>One read inside a multiRead.</summary>
public abstract record ReadOp(string Path)
{
    /// <summary>List the children of a node.</summary>
    public static ReadOp GetChildren(string path) => new GetChildrenReadOp(path);

    /// <summary>Read a node's data.</summary>
    public static ReadOp GetData(string path) => new GetDataReadOp(path);
}

/// <summary>A children read inside a multiRead.</summary>
public sealed record GetChildrenReadOp(string Path) : ReadOp(Path);

/// <summary>A data read inside a multiRead.</summary>
public sealed record GetDataReadOp(string Path) : ReadOp(Path);

/// <summary>The result of one read of a multiRead; each read succeeds or fails on its own.</summary>
public abstract record ReadResult
{
    /// <summary>Ok, or why this read failed.</summary>
    public abstract ErrorCode Error { get; }
}

/// <summary>A children list, sorted by ordinal comparison.</summary>
public sealed record ChildrenReadResult(IReadOnlyList<string> Children) : ReadResult
{
    /// <inheritdoc/>
    public override ErrorCode Error => ErrorCode.Ok;
}

/// <summary>A node's data and stat.</summary>
public sealed record DataReadResult(byte[] Data, Stat Stat) : ReadResult
{
    /// <inheritdoc/>
    public override ErrorCode Error => ErrorCode.Ok;
}

/// <summary>A read that failed (for example NoNode).</summary>
public sealed record ErrorReadResult(ErrorCode Code) : ReadResult
{
    /// <inheritdoc/>
    public override ErrorCode Error => Code;
}
