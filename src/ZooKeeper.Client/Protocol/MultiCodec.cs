namespace ZooKeeper.Client;

/// <summary>The framing of multi (atomic writes) and multiRead (independent reads): a MultiHeader before each op and result, and an end marker.</summary>
internal static class MultiCodec
{
    /// <summary>Checks a create's arguments before anything is encoded.</summary>
    public static void CheckCreate(string path, CreateMode mode, IReadOnlyList<Acl> acl, string parameterName = "path")
    {
        if (!Enum.IsDefined(mode))
        {
            throw new ArgumentException($"Unknown create mode {(int)mode} for '{path}'.", nameof(mode));
        }

        PathValidation.Validate(path, mode is CreateMode.PersistentSequential or CreateMode.EphemeralSequential, parameterName);
        ArgumentNullException.ThrowIfNull(acl);
        if (acl.Count == 0)
        {
            throw new ArgumentException($"The ACL for '{path}' is empty; use Acl.OpenUnsafe for an open node.", nameof(acl));
        }
    }

    public static void WriteOp(JuteWriter writer, Op op, ConnectionString connection)
    {
        ArgumentNullException.ThrowIfNull(op);
        switch (op)
        {
            case CreateOp create:
                CheckCreate(create.Path, create.Mode, create.Acl, "ops");
                WriteHeader(writer, create.Mode == CreateMode.Container ? OpCode.CreateContainer : OpCode.Create);
                writer.WriteString(connection.ToServerPath(create.Path));
                writer.WriteBuffer(create.Data.Span);
                writer.WriteAcls(create.Acl);
                writer.WriteInt((int)create.Mode);
                break;
            case DeleteOp delete:
                WritePathHeader(writer, OpCode.Delete, delete.Path, connection);
                writer.WriteInt(delete.Version);
                break;
            case SetDataOp setData:
                WritePathHeader(writer, OpCode.SetData, setData.Path, connection);
                writer.WriteBuffer(setData.Data.Span);
                writer.WriteInt(setData.Version);
                break;
            case CheckOp check:
                WritePathHeader(writer, OpCode.Check, check.Path, connection);
                writer.WriteInt(check.Version);
                break;
            default:
                throw new ArgumentException($"Unknown op type {op.GetType().Name} for '{op.Path}'.", nameof(op));
        }
    }

    public static void WriteReadOp(JuteWriter writer, ReadOp op, ConnectionString connection)
    {
        ArgumentNullException.ThrowIfNull(op);
        var code = op switch
        {
            GetChildrenReadOp => OpCode.GetChildren,
            GetDataReadOp => OpCode.GetData,
            _ => throw new ArgumentException($"Unknown read op type {op.GetType().Name} for '{op.Path}'.", nameof(op)),
        };
        WritePathHeader(writer, code, op.Path, connection);
        writer.WriteBool(false);
    }

    public static void WriteEnd(JuteWriter writer)
    {
        writer.WriteInt(-1);
        writer.WriteBool(true);
        writer.WriteInt(-1);
    }

    /// <summary>
    /// Reads a multi reply: results are chosen by the type in each result header, not by what was sent.
    /// <paramref name="zxid"/> is the reply header's: for a multi that applied, its transaction's.
    /// </summary>
    public static MultiResult ReadMulti(ref JuteReader reader, int opCount, ConnectionString connection, long zxid)
    {
        var results = new List<OpResult>(opCount);
        var failedIndex = -1;
        var failure = ErrorCode.Ok;
        while (ReadHeader(ref reader, results.Count, opCount) is { } type)
        {
            OpResult result = type switch
            {
                OpCode.Create => new CreateResult(ClientPath(ref reader, connection), null),
                OpCode.Create2 or OpCode.CreateContainer => new CreateResult(ClientPath(ref reader, connection), reader.ReadStat()),
                OpCode.Delete => new DeleteResult(),
                OpCode.SetData => new SetDataResult(reader.ReadStat()),
                OpCode.Check => new CheckResult(),
                OpCode.Error => new ErrorResult((ErrorCode)reader.ReadInt()),
                _ => throw new ProtocolException($"a multi result of unknown type {(int)type}"),
            };
            if (failedIndex < 0 && result is ErrorResult { Error: not ErrorCode.Ok } error)
            {
                failedIndex = results.Count;
                failure = error.Error;
            }

            results.Add(result);
        }

        return new MultiResult(failure, failedIndex, results) { Zxid = failure == ErrorCode.Ok ? zxid : 0 };
    }

    /// <summary>Reads a multiRead reply: one children list, data or error per read.</summary>
    public static IReadOnlyList<ReadResult> ReadMultiRead(ref JuteReader reader, int opCount)
    {
        var results = new List<ReadResult>(opCount);
        while (ReadHeader(ref reader, results.Count, opCount) is { } type)
        {
            ReadResult result = type switch
            {
                OpCode.GetChildren => new ChildrenReadResult(ZooKeeperClient.SortedChildren(ref reader)),
                OpCode.GetData => new DataReadResult(reader.ReadBuffer() ?? [], reader.ReadStat()),
                OpCode.Error => new ErrorReadResult((ErrorCode)reader.ReadInt()),
                _ => throw new ProtocolException($"a multiRead result of unknown type {(int)type}"),
            };
            results.Add(result);
        }

        return results;
    }

    /// <summary>Reads a MultiHeader; null at the end marker. More results than ops is a protocol fault.</summary>
    private static OpCode? ReadHeader(ref JuteReader reader, int readSoFar, int opCount)
    {
        var type = reader.ReadInt();
        var done = reader.ReadBool();
        reader.ReadInt();
        if (done)
        {
            return null;
        }

        if (readSoFar >= opCount)
        {
            throw new ProtocolException($"a multi reply with more than the {opCount} results asked for");
        }

        return (OpCode)type;
    }

    private static void WriteHeader(JuteWriter writer, OpCode type)
    {
        writer.WriteInt((int)type);
        writer.WriteBool(false);
        writer.WriteInt(-1);
    }

    private static void WritePathHeader(JuteWriter writer, OpCode type, string path, ConnectionString connection)
    {
        PathValidation.Validate(path, parameterName: "ops");
        WriteHeader(writer, type);
        writer.WriteString(connection.ToServerPath(path));
    }

    private static string ClientPath(ref JuteReader reader, ConnectionString connection) =>
        connection.ToClientPath(reader.ReadString() ?? throw new ProtocolException("a create result without a path"));
}
