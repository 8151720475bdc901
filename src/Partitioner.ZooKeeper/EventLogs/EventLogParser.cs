using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Reads what <see cref="EventLogJson"/> writes. Every problem becomes an <see cref="EventLogFormatException"/>
/// naming the line and the field, never a raw parser exception.
/// </summary>
internal readonly struct EventLogParser(long lineNumber)
{
    public long LineNumber { get; } = lineNumber;

    /// <summary>Parses one line as a JSON object.</summary>
    public JsonDocument Parse(string line)
    {
        try
        {
            var document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                document.Dispose();
                throw Fail("is not a JSON object");
            }

            return document;
        }
        catch (JsonException exception)
        {
            throw Fail($"is not valid JSON (a truncated or corrupt log?): {exception.Message}", exception);
        }
    }

    /// <summary>Reads the header: checks the format and version, and rebuilds the configuration.</summary>
    public PartitionerConfig ReadHeader(JsonElement root, Func<string, PartitionFunction?> resolvePartitionFunction)
    {
        var format = root.TryGetProperty("format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString() : null;
        if (format != EventLogJson.FormatName)
        {
            throw Fail($"is not a partitioner event log header (\"format\" is {Describe(f)}, expected \"{EventLogJson.FormatName}\")");
        }

        var version = Int64(root, "version");
        if (version != EventLogJson.Version)
        {
            throw Fail($"has format version {version}; this reader reads version {EventLogJson.Version} only");
        }

        return ReadConfig(Object(root, "config"), resolvePartitionFunction);
    }

    /// <summary>Reads an event, or null for the start line's null event.</summary>
    public Event? ReadEvent(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        var type = String(element, "type");
        return type switch
        {
            nameof(CreateCompleted) => new CreateCompleted(Int64(element, "opId"), Error(element, "error"), NullableString(element, "createdPath"), OptionalInt64(element, "createdZxid")),
            nameof(DeleteCompleted) => new DeleteCompleted(Int64(element, "opId"), Error(element, "error")),
            nameof(ChildrenCompleted) => new ChildrenCompleted(Int64(element, "opId"), Error(element, "error"), Strings(element, "children")),
            nameof(ExistsCompleted) => new ExistsCompleted(Int64(element, "opId"), Error(element, "error")),
            nameof(MultiCompleted) => new MultiCompleted(Int64(element, "opId"), Error(element, "error"), WriteResults(element)),
            nameof(MultiReadCompleted) => new MultiReadCompleted(Int64(element, "opId"), Error(element, "error"), ChildrenResults(element)),
            nameof(StatsCompleted) => new StatsCompleted(Int64(element, "opId"), Error(element, "error"), StatResults(element)),
            nameof(WatchFired) => new WatchFired(Int64(element, "opId"), String(element, "path"), Name<WatchEventKind>(element, "kind")),
            nameof(TimerFired) => new TimerFired(Int64(element, "timerId")),
            nameof(SessionSuspended) => new SessionSuspended(),
            nameof(SessionReconnected) => new SessionReconnected(),
            nameof(SessionExpired) => new SessionExpired(),
            nameof(SessionAuthFailed) => new SessionAuthFailed(),
            nameof(ReleaseRequested) => new ReleaseRequested(),
            nameof(FinishRequested) => new FinishRequested(),
            _ => throw Fail($"has an event of unknown type \"{type}\""),
        };
    }

    public JsonElement Property(JsonElement obj, string name)
    {
        if (!obj.TryGetProperty(name, out var value))
        {
            throw Fail($"has no \"{name}\"");
        }

        return value;
    }

    public JsonElement Object(JsonElement obj, string name) => Expect(Property(obj, name), name, JsonValueKind.Object);

    public JsonElement Array(JsonElement obj, string name) => Expect(Property(obj, name), name, JsonValueKind.Array);

    public long Int64(JsonElement obj, string name)
    {
        var value = Expect(Property(obj, name), name, JsonValueKind.Number);
        return value.TryGetInt64(out var number) ? number : throw Fail($"has \"{name}\" {value.GetRawText()}, which is not a whole number");
    }

    public string String(JsonElement obj, string name) => Expect(Property(obj, name), name, JsonValueKind.String).GetString()!;

    public EventLogFormatException Fail(string problem, Exception? inner = null) => new(LineNumber, problem, inner);

    private PartitionerConfig ReadConfig(JsonElement config, Func<string, PartitionFunction?> resolvePartitionFunction)
    {
        var functionName = String(config, "partitionFunctionName");
        var function = resolvePartitionFunction(functionName);
        if (function is null && functionName != "round-robin")
        {
            throw Fail($"names the partition function \"{functionName}\", which the replayer was not given; pass a resolver that knows it");
        }

        try
        {
            return PartitionerConfig.Create(
                String(config, "path"),
                Strings(config, "items"),
                String(config, "identifier"),
                String(config, "contenderPrefix"),
                Duration(config, "timeBoundary"),
                Duration(config, "maxReactionTime"),
                function,
                functionName,
                checked((int)Int64(config, "batchSize")),
                ReadPartyAcl(Object(config, "acl")));
        }
        catch (Exception exception) when (exception is ArgumentException or OverflowException)
        {
            throw Fail($"has a configuration Core refuses: {exception.Message}", exception);
        }
    }

    private PartyAcl ReadPartyAcl(JsonElement acl) => new(ReadAcl(acl, "container"), ReadAcl(acl, "folder"), ReadAcl(acl, "node"));

    /// <summary>Reads <c>scheme:id:perms</c> strings; the id may hold ':' (digest, ip), the scheme and the perms may not.</summary>
    private ImmutableArray<AclEntry> ReadAcl(JsonElement obj, string name)
    {
        var builder = ImmutableArray.CreateBuilder<AclEntry>();
        foreach (var text in Strings(obj, name))
        {
            int first = text.IndexOf(':', StringComparison.Ordinal);
            int last = text.LastIndexOf(':');
            var perms = first > 0 && last > first ? AclEntry.ParsePerms(text[(last + 1)..]) : null;
            if (perms is null)
            {
                throw Fail($"has the ACL entry \"{text}\" in \"{name}\", which is not scheme:id:perms (perms of cdrwa)");
            }

            builder.Add(new AclEntry(perms.Value, text[..first], text[(first + 1)..last]));
        }

        return builder.ToImmutable();
    }

    private ImmutableArray<WriteResult> WriteResults(JsonElement element)
    {
        var builder = ImmutableArray.CreateBuilder<WriteResult>();
        foreach (var result in Array(element, "results").EnumerateArray())
        {
            builder.Add(new WriteResult(Error(result, "error"), NullableString(result, "createdPath"), OptionalInt64(result, "createdZxid")));
        }

        return builder.ToImmutable();
    }

    private ImmutableArray<StatResult> StatResults(JsonElement element)
    {
        var builder = ImmutableArray.CreateBuilder<StatResult>();
        foreach (var result in Array(element, "results").EnumerateArray())
        {
            builder.Add(new StatResult(Error(result, "error"), Int64(result, "createdZxid")));
        }

        return builder.ToImmutable();
    }

    /// <summary>A number that logs written before fencing tokens do not have: null when absent.</summary>
    private long? OptionalInt64(JsonElement obj, string name) => obj.TryGetProperty(name, out _) ? Int64(obj, name) : null;

    private ImmutableArray<ChildrenResult> ChildrenResults(JsonElement element)
    {
        var builder = ImmutableArray.CreateBuilder<ChildrenResult>();
        foreach (var result in Array(element, "results").EnumerateArray())
        {
            builder.Add(new ChildrenResult(Error(result, "error"), Strings(result, "children")));
        }

        return builder.ToImmutable();
    }

    private ImmutableArray<string> Strings(JsonElement obj, string name)
    {
        var builder = ImmutableArray.CreateBuilder<string>();
        foreach (var item in Array(obj, name).EnumerateArray())
        {
            builder.Add(item.ValueKind == JsonValueKind.String
                ? item.GetString()!
                : throw Fail($"has a non-string {Describe(item)} in \"{name}\""));
        }

        return builder.ToImmutable();
    }

    private string? NullableString(JsonElement obj, string name)
    {
        var value = Property(obj, name);
        return value.ValueKind == JsonValueKind.Null ? null : Expect(value, name, JsonValueKind.String).GetString();
    }

    private TimeSpan Duration(JsonElement obj, string name)
    {
        var text = String(obj, name);
        return TimeSpan.TryParseExact(text, "c", CultureInfo.InvariantCulture, out var duration)
            ? duration
            : throw Fail($"has \"{name}\" \"{text}\", which is not a duration like \"00:00:30\"");
    }

    private ZooKeeperError Error(JsonElement obj, string name)
    {
        var value = Property(obj, name);
        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var code))
        {
            return (ZooKeeperError)code;
        }

        return Name<ZooKeeperError>(obj, name);
    }

    private T Name<T>(JsonElement obj, string name)
        where T : struct, Enum
    {
        var text = String(obj, name);
        return Enum.TryParse<T>(text, ignoreCase: false, out var value) && Enum.IsDefined(value) && IsName(text)
            ? value
            : throw Fail($"has \"{name}\" \"{text}\", which is not a {typeof(T).Name}");
    }

    /// <summary>Enum.TryParse also takes numbers; the log writes names, so a number here is corruption.</summary>
    private static bool IsName(string text) => text.Length > 0 && char.IsAsciiLetter(text[0]);

    private JsonElement Expect(JsonElement value, string name, JsonValueKind kind) =>
        value.ValueKind == kind ? value : throw Fail($"has \"{name}\" {Describe(value)} where a {kind.ToString().ToLowerInvariant()} belongs");

    private static string Describe(JsonElement value) =>
        value.ValueKind == JsonValueKind.Undefined ? "missing" : Shorten(value.GetRawText());

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");
}
