using System.Collections.Immutable;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>An enum by its name only: a number where a name belongs is corruption, not a value.</summary>
internal sealed class EnumNameConverter<T>() : JsonStringEnumConverter<T>(namingPolicy: null, allowIntegerValues: false)
    where T : struct, Enum;

/// <summary>
/// A ZooKeeper code: by name when Core names it, by number otherwise (the port passes any code through, and a log
/// must hold what Core was told).
/// </summary>
internal sealed class ZooKeeperErrorConverter : JsonConverter<ZooKeeperError>
{
    public override ZooKeeperError Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number)
        {
            return reader.TryGetInt32(out var code) ? (ZooKeeperError)code : throw new JsonException("a ZooKeeper code beyond 32 bits");
        }

        // Enum.TryParse also takes numbers and any case; the log writes exact names, so anything else is corruption.
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : null;
        return text is { Length: > 0 } && char.IsAsciiLetter(text[0]) && Enum.TryParse<ZooKeeperError>(text, ignoreCase: false, out var error) && Enum.IsDefined(error)
            ? error
            : throw new JsonException($"{Describe(ref reader)} is not a ZooKeeperError");
    }

    public override void Write(Utf8JsonWriter writer, ZooKeeperError value, JsonSerializerOptions options)
    {
        if (Enum.IsDefined(value))
        {
            writer.WriteStringValue(value.ToString());
        }
        else
        {
            writer.WriteNumberValue((int)value);
        }
    }

    internal static string Describe(ref Utf8JsonReader reader) =>
        reader.TokenType == JsonTokenType.String ? $"\"{reader.GetString()}\"" : $"a {reader.TokenType.ToString().ToLowerInvariant()}";
}

/// <summary>
/// An ACL entry as a <c>scheme:id:perms</c> string. A digest id is <c>user:base64(sha1(user:password))</c>, and an
/// unsalted hash of a weak password can be reversed, so only its user is written (<see cref="EventLogJson.Redacted"/>).
/// </summary>
internal sealed class AclEntryConverter : JsonConverter<AclEntry>
{
    public override AclEntry Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        // The id may hold ':' (digest, ip); the scheme and the perms may not.
        var text = reader.TokenType == JsonTokenType.String ? reader.GetString()! : "";
        int first = text.IndexOf(':', StringComparison.Ordinal);
        int last = text.LastIndexOf(':');
        var perms = first > 0 && last > first ? AclEntry.ParsePerms(text[(last + 1)..]) : null;
        return perms is { } p
            ? new AclEntry(p, text[..first], text[(first + 1)..last])
            : throw new JsonException($"the ACL entry {ZooKeeperErrorConverter.Describe(ref reader)} is not scheme:id:perms (perms of cdrwa)");
    }

    public override void Write(Utf8JsonWriter writer, AclEntry value, JsonSerializerOptions options) =>
        writer.WriteStringValue(EventLogJson.Redacted(value).ToString());
}

/// <summary>Node data as base64, as JSON writes bytes (the serializer would write an immutable array as numbers).</summary>
internal sealed class Base64Converter : JsonConverter<ImmutableArray<byte>>
{
    public override ImmutableArray<byte> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.String && reader.TryGetBytesFromBase64(out var bytes)
            ? ImmutableCollectionsMarshal.AsImmutableArray(bytes)
            : throw new JsonException($"{ZooKeeperErrorConverter.Describe(ref reader)} is not base64 data");

    public override void Write(Utf8JsonWriter writer, ImmutableArray<byte> value, JsonSerializerOptions options) =>
        writer.WriteBase64StringValue(value.IsDefault ? [] : value.AsSpan());
}
