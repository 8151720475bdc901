using System.Buffers;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Writes the event log's JSON: the header, and one object per decision with its event, state and
/// commands. Commands and events carry a "type" discriminator (the record's name); byte data is base64,
/// durations are invariant "c" strings (exact to the tick), enums are their names. The replayer writes
/// its own results through the same methods, so comparing two texts compares two decisions.
/// </summary>
internal static class EventLogJson
{
    /// <summary>The header's "format" value.</summary>
    public const string FormatName = "partitioner-event-log";

    /// <summary>The format version this code writes and reads.</summary>
    /// <remarks>Version 2 added the ACL of every create and the configuration's ACLs.</remarks>
    public const int Version = 2;

    /// <summary>What a digest id's password hash is written as: an event log never holds anything derived from a password.</summary>
    public const string RedactedDigest = "(not logged)";

    /// <summary>Runs <paramref name="write"/> against a compact writer and returns the text.</summary>
    public static string ToJson<T>(T value, Action<Utf8JsonWriter, T> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer, value);
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static void WriteHeader(Utf8JsonWriter w, PartitionerConfig config)
    {
        w.WriteStartObject();
        w.WriteString("format", FormatName);
        w.WriteNumber("version", Version);
        w.WriteStartObject("config");
        w.WriteString("path", config.Path);
        WriteStrings(w, "items", config.Items);
        w.WriteString("identifier", config.Identifier);
        w.WriteString("contenderPrefix", config.ContenderPrefix);
        WriteDuration(w, "timeBoundary", config.TimeBoundary);
        WriteDuration(w, "maxReactionTime", config.MaxReactionTime);
        w.WriteString("partitionFunctionName", config.PartitionFunctionName);
        w.WriteNumber("batchSize", config.BatchSize);
        w.WriteStartObject("acl");
        WriteAcl(w, "container", config.Acl.Container);
        WriteAcl(w, "folder", config.Acl.Folder);
        WriteAcl(w, "node", config.Acl.Node);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void WriteDecision(Utf8JsonWriter w, long seq, Event? @event, MemberState state, ImmutableArray<Command> commands)
    {
        w.WriteStartObject();
        w.WriteNumber("seq", seq);
        w.WritePropertyName("event");
        if (@event is null)
        {
            w.WriteNullValue();
        }
        else
        {
            WriteEvent(w, @event);
        }

        w.WritePropertyName("state");
        WriteState(w, state);
        w.WritePropertyName("commands");
        WriteCommands(w, commands);
        w.WriteEndObject();
    }

    /// <summary>The part of a state a log records: what a user of the partitioner can see.</summary>
    public static void WriteState(Utf8JsonWriter w, MemberState state)
    {
        w.WriteStartObject();
        w.WriteString("state", state.State.ToString());
        w.WriteNumber("stateId", state.StateId);
        WriteStrings(w, "acquiredItems", state.AcquiredItems);
        if (!state.OwnedItems.IsDefaultOrEmpty)
        {
            // Only when there are some, so that the states of a log written before fencing tokens read the same.
            w.WriteStartArray("fencingTokens");
            foreach (var owned in state.OwnedItems)
            {
                w.WriteNumberValue(owned.FencingToken);
            }

            w.WriteEndArray();
        }

        w.WriteString("failureReason", state.FailureReason);
        w.WriteEndObject();
    }

    public static void WriteCommands(Utf8JsonWriter w, ImmutableArray<Command> commands)
    {
        w.WriteStartArray();
        foreach (var command in commands.IsDefault ? [] : commands)
        {
            WriteCommand(w, command);
        }

        w.WriteEndArray();
    }

    public static void WriteCommand(Utf8JsonWriter w, Command command)
    {
        w.WriteStartObject();
        w.WriteString("type", command.GetType().Name);
        switch (command)
        {
            case CreateNode c:
                w.WriteNumber("opId", c.OpId);
                w.WriteString("path", c.Path);
                WriteBytes(w, "data", c.Data);
                w.WriteString("kind", c.Kind.ToString());
                WriteAcl(w, "acl", c.Acl);
                break;
            case DeleteNode c:
                w.WriteNumber("opId", c.OpId);
                w.WriteString("path", c.Path);
                break;
            case GetChildren c:
                w.WriteNumber("opId", c.OpId);
                w.WriteString("path", c.Path);
                w.WriteBoolean("watch", c.Watch);
                break;
            case Exists c:
                w.WriteNumber("opId", c.OpId);
                w.WriteString("path", c.Path);
                w.WriteBoolean("watch", c.Watch);
                break;
            case Multi c:
                w.WriteNumber("opId", c.OpId);
                WriteOps(w, c.Ops);
                break;
            case MultiGetChildren c:
                w.WriteNumber("opId", c.OpId);
                WriteStrings(w, "paths", c.Paths);
                break;
            case MultiGetStat c:
                w.WriteNumber("opId", c.OpId);
                WriteStrings(w, "paths", c.Paths);
                break;
            case StartTimer c:
                w.WriteNumber("timerId", c.TimerId);
                WriteDuration(w, "due", c.Due);
                break;
            case CancelTimer c:
                w.WriteNumber("timerId", c.TimerId);
                break;
            default:
                throw new NotSupportedException($"The event log has no format for the command {command.GetType().Name}.");
        }

        w.WriteEndObject();
    }

    public static void WriteEvent(Utf8JsonWriter w, Event @event)
    {
        w.WriteStartObject();
        w.WriteString("type", @event.GetType().Name);
        switch (@event)
        {
            case OperationCompleted completed:
                WriteCompletion(w, completed);
                break;
            case WatchFired e:
                w.WriteNumber("opId", e.OpId);
                w.WriteString("path", e.Path);
                w.WriteString("kind", e.Kind.ToString());
                break;
            case TimerFired e:
                w.WriteNumber("timerId", e.TimerId);
                break;
            case SessionSuspended or SessionReconnected or SessionExpired or SessionAuthFailed or ReleaseRequested or FinishRequested:
                break;
            default:
                throw new NotSupportedException($"The event log has no format for the event {@event.GetType().Name}.");
        }

        w.WriteEndObject();
    }

    private static void WriteCompletion(Utf8JsonWriter w, OperationCompleted completed)
    {
        w.WriteNumber("opId", completed.OpId);
        WriteError(w, "error", completed.Error);
        switch (completed)
        {
            case CreateCompleted e:
                w.WriteString("createdPath", e.CreatedPath);
                WriteZxid(w, e.CreatedZxid);
                break;
            case ChildrenCompleted e:
                WriteStrings(w, "children", e.Children);
                break;
            case MultiCompleted e:
                WriteWriteResults(w, e.Results);
                break;
            case MultiReadCompleted e:
                WriteChildrenResults(w, e.Results);
                break;
            case StatsCompleted e:
                WriteStatResults(w, e.Results);
                break;
            case DeleteCompleted or ExistsCompleted:
                break;
            default:
                throw new NotSupportedException($"The event log has no format for the event {completed.GetType().Name}.");
        }
    }

    private static void WriteOps(Utf8JsonWriter w, ImmutableArray<WriteOp> ops)
    {
        w.WriteStartArray("ops");
        foreach (var op in ops.IsDefault ? [] : ops)
        {
            w.WriteStartObject();
            switch (op)
            {
                case CreateOp create:
                    w.WriteString("type", "create");
                    w.WriteString("path", create.Path);
                    WriteBytes(w, "data", create.Data);
                    w.WriteString("kind", create.Kind.ToString());
                    WriteAcl(w, "acl", create.Acl);
                    break;
                case DeleteOp delete:
                    w.WriteString("type", "delete");
                    w.WriteString("path", delete.Path);
                    break;
                default:
                    throw new NotSupportedException($"The event log has no format for the write {op.GetType().Name}.");
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteWriteResults(Utf8JsonWriter w, ImmutableArray<WriteResult> results)
    {
        w.WriteStartArray("results");
        foreach (var result in results.IsDefault ? [] : results)
        {
            w.WriteStartObject();
            WriteError(w, "error", result.Error);
            w.WriteString("createdPath", result.CreatedPath);
            WriteZxid(w, result.CreatedZxid);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteChildrenResults(Utf8JsonWriter w, ImmutableArray<ChildrenResult> results)
    {
        w.WriteStartArray("results");
        foreach (var result in results.IsDefault ? [] : results)
        {
            w.WriteStartObject();
            WriteError(w, "error", result.Error);
            WriteStrings(w, "children", result.Children);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static void WriteStatResults(Utf8JsonWriter w, ImmutableArray<StatResult> results)
    {
        w.WriteStartArray("results");
        foreach (var result in results.IsDefault ? [] : results)
        {
            w.WriteStartObject();
            WriteError(w, "error", result.Error);
            w.WriteNumber("createdZxid", result.CreatedZxid);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>A creation zxid the server gave; written only when there is one, so logs from before tokens read the same.</summary>
    private static void WriteZxid(Utf8JsonWriter w, long? zxid)
    {
        if (zxid is { } value)
        {
            w.WriteNumber("createdZxid", value);
        }
    }

    /// <summary>Named codes by name; a code Core does not name (the port passes any through) by number.</summary>
    private static void WriteError(Utf8JsonWriter w, string name, ZooKeeperError error)
    {
        if (Enum.IsDefined(error))
        {
            w.WriteString(name, error.ToString());
        }
        else
        {
            w.WriteNumber(name, (int)error);
        }
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, ImmutableArray<string> values)
    {
        w.WriteStartArray(name);
        foreach (var value in values.IsDefault ? [] : values)
        {
            w.WriteStringValue(value);
        }

        w.WriteEndArray();
    }

    /// <summary>
    /// An ACL as <c>scheme:id:perms</c> strings. A digest id is <c>user:base64(sha1(user:password))</c>, and an
    /// unsalted hash of a weak password can be reversed, so only its user is written.
    /// </summary>
    private static void WriteAcl(Utf8JsonWriter w, string name, ImmutableArray<AclEntry> acl)
    {
        w.WriteStartArray(name);
        foreach (var entry in acl.IsDefault ? [] : acl)
        {
            w.WriteStringValue(Redacted(entry).ToString());
        }

        w.WriteEndArray();
    }

    /// <summary>The entry as an event log holds it: a digest id keeps its user and loses its hash.</summary>
    public static AclEntry Redacted(AclEntry entry)
    {
        if (entry.Scheme != "digest")
        {
            return entry;
        }

        int colon = entry.Id.IndexOf(':', StringComparison.Ordinal);
        return entry with { Id = (colon < 0 ? entry.Id : entry.Id[..colon]) + ":" + RedactedDigest };
    }

    private static void WriteBytes(Utf8JsonWriter w, string name, ImmutableArray<byte> data) =>
        w.WriteBase64String(name, data.IsDefault ? [] : data.AsSpan());

    private static void WriteDuration(Utf8JsonWriter w, string name, TimeSpan duration) =>
        w.WriteString(name, duration.ToString("c", CultureInfo.InvariantCulture));
}
