using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Reads what <see cref="EventLogJson"/> writes, one line at a time. Every problem becomes an
/// <see cref="EventLogFormatException"/> naming the line and the field, never a raw serializer exception.
/// </summary>
internal readonly struct EventLogParser(long lineNumber)
{
    public long LineNumber { get; } = lineNumber;

    /// <summary>Reads the header: checks the format and version, and rebuilds the configuration.</summary>
    public PartitionerConfig ReadHeader(string line, Func<string, PartitionFunction?> resolvePartitionFunction)
    {
        using var document = Parse(line);
        var header = Deserialize(document.RootElement, EventLogJson.HeaderRead, "header");
        if (header.Format != EventLogJson.FormatName)
        {
            var format = header.Format is null ? "missing" : $"\"{header.Format}\"";
            throw Fail($"is not a partitioner event log header (\"format\" is {format}, expected \"{EventLogJson.FormatName}\")");
        }

        if (header.Version != EventLogJson.Version)
        {
            throw Fail($"has format version {header.Version?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}; this reader reads version {EventLogJson.Version} only");
        }

        if (header.Config is not { ValueKind: JsonValueKind.Object } element)
        {
            throw Fail("has no \"config\" object");
        }

        var config = Deserialize(element, EventLogJson.Config, "config");
        // This library's own functions need no resolver: "sticky" is the name Core gives PartitionFunctions.Sticky.
        var function = resolvePartitionFunction(config.PartitionFunctionName)
            ?? (config.PartitionFunctionName == "sticky" ? PartitionFunctions.Sticky : null);
        if (function is null && config.PartitionFunctionName != "round-robin")
        {
            throw Fail($"names the partition function \"{config.PartitionFunctionName}\", which the replayer was not given; pass a resolver that knows it");
        }

        try
        {
            // A header without a mode is eager's: it was the only mode when such logs were written.
            return PartitionerConfig.Create(
                config.Path, config.Items, config.Identifier, config.ContenderPrefix, config.TimeBoundary, config.MaxReactionTime,
                function, config.PartitionFunctionName, config.BatchSize, config.Acl) with { Rebalance = config.Rebalance ?? RebalanceMode.Eager };
        }
        catch (ArgumentException exception)
        {
            throw Fail($"has a configuration Core refuses: {exception.Message}", exception);
        }
    }

    /// <summary>
    /// Reads a decision line, leaving its parts as JSON in the line's document (the state and commands are compared as
    /// text, so they are not copied out of it); the caller disposes it.
    /// </summary>
    public RecordedDecision ReadDecision(string line)
    {
        var document = Parse(line);
        try
        {
            var root = document.RootElement;
            var seq = Property(root, "seq");
            var decision = new RecordedDecision(
                document,
                seq.ValueKind == JsonValueKind.Number && seq.TryGetInt64(out var number) ? number : throw Fail($"has \"seq\" {Shorten(seq.GetRawText())}, which is not a whole number"),
                Property(root, "event"),
                Expect(Property(root, "state"), "state", JsonValueKind.Object),
                Expect(Property(root, "commands"), "commands", JsonValueKind.Array));
            document = null;
            return decision;
        }
        finally
        {
            document?.Dispose();
        }
    }

    /// <summary>Reads an event, or null for the start line's null event.</summary>
    public Event? ReadEvent(JsonElement element)
    {
        if (element.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        _ = Expect(element, "event", JsonValueKind.Object);

        // Named here, before the serializer, whose own words for an unknown discriminator do not say which it was.
        var type = element.TryGetProperty(EventLogJson.TypeProperty, out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : null;
        if (type is null || !EventLogJson.EventTypeNames.Contains(type))
        {
            throw Fail(type is null ? "has an event without a \"type\"" : $"has an event of unknown type \"{type}\"");
        }

        return Deserialize(element, EventLogJson.Event, "event");
    }

    public EventLogFormatException Fail(string problem, Exception? inner = null) => new(LineNumber, problem, inner);

    private T Deserialize<T>(JsonElement element, JsonTypeInfo<T> typeInfo, string name)
    {
        try
        {
            return element.Deserialize(typeInfo) ?? throw Fail($"has a null \"{name}\"");
        }
        catch (JsonException exception)
        {
            throw Misfit(name, exception, element);
        }
    }

    /// <summary>
    /// Where the value that does not fit is (<c>event.timerId</c>), the value, and what is wrong with it: the reader's
    /// own reason when it gave one (the serializer's message names only the record it was building), without the
    /// serializer's byte offsets.
    /// </summary>
    private EventLogFormatException Misfit(string root, JsonException exception, JsonElement element)
    {
        var path = exception.Path ?? "$";
        var reason = exception.InnerException?.Message ?? exception.Message;
        int suffix = reason.IndexOf(" Path: ", StringComparison.Ordinal);
        reason = suffix < 0 ? reason : reason[..suffix];
        var value = ValueAt(element, path);
        var where = path.Length > 1 ? root + path[1..] : root;
        return Fail(value is null ? $"has a value that does not fit at {where}: {reason}" : $"has {value} at {where}, which does not fit: {reason}", exception);
    }

    /// <summary>The raw text at a serializer path of dotted names and indexes (<c>$.config.acl.node[0]</c>); null when there is none.</summary>
    private static string? ValueAt(JsonElement root, string path)
    {
        var current = root;
        foreach (var part in path.TrimStart('$').Replace("[", ".[", StringComparison.Ordinal).Split('.', StringSplitOptions.RemoveEmptyEntries))
        {
            if (part.StartsWith('[') && int.TryParse(part.AsSpan(1, part.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                if (current.ValueKind != JsonValueKind.Array || index >= current.GetArrayLength())
                {
                    return null;
                }

                current = current[index];
            }
            else if (current.ValueKind != JsonValueKind.Object || !current.TryGetProperty(part, out current))
            {
                return null;
            }
        }

        return path == "$" ? null : Shorten(current.GetRawText());
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : string.Concat(text.AsSpan(0, 57), "...");

    /// <summary>Parses a line that must be a JSON object.</summary>
    private JsonDocument Parse(string line)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(line);
        }
        catch (JsonException exception)
        {
            throw Fail($"is not valid JSON (a truncated or corrupt log?): {exception.Message}", exception);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            document.Dispose();
            throw Fail("is not a JSON object");
        }

        return document;
    }

    private JsonElement Property(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) ? value : throw Fail($"has no \"{name}\"");

    private JsonElement Expect(JsonElement value, string name, JsonValueKind kind) =>
        value.ValueKind == kind ? value : throw Fail($"has \"{name}\" {Shorten(value.GetRawText())} where a {kind.ToString().ToLowerInvariant()} belongs");
}

/// <summary>A decision line as read: its number, and its event, state and commands as JSON inside the line's document.</summary>
internal readonly record struct RecordedDecision(JsonDocument Document, long Seq, JsonElement Event, JsonElement State, JsonElement Commands) : IDisposable
{
    public void Dispose() => Document.Dispose();
}
