using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Partitioner.Core;

/// <summary>
/// What a cooperative member declares in its party node's data, so that members of one path that disagree on the
/// rebalance mode, the partition function or the items find out and say so, instead of stalling (kazoo issue #392).
/// </summary>
/// <remarks>
/// <para>The data of a cooperative member's party node is its identifier in UTF-8 (what kazoo writes, and what
/// eager members of this library keep writing, byte for byte), then a line feed, then one line in the format
/// <c>partitioner/1</c>:</para>
/// <code>w1
/// partitioner/1 rebalance=cooperative function=sticky items=0123456789abcdef</code>
/// <para>Four fields separated by one space each, in that order, nothing before, after or between them:
/// <c>partitioner/&lt;version&gt;</c>; <c>rebalance=</c> <c>eager</c> or <c>cooperative</c>; <c>function=</c> the
/// partition function's name (<see cref="PartitionerConfig.PartitionFunctionName"/>), with every character outside
/// <c>A-Z a-z 0-9 - . _ ~</c> written as <c>%XX</c> per UTF-8 byte (uppercase hex); <c>items=</c> the item set's
/// digest (<see cref="DigestOf"/>) as 16 lowercase hex digits. kazoo reads only the names under <c>P/party</c>,
/// never the data, so a kazoo member is unaffected by it.</para>
/// <para>Data with no line feed declares nothing: that is what an eager member of this library and a kazoo member
/// write. Data with a line feed is read strictly: anything that is not exactly the format is refused with the
/// reason, and a later version (<c>partitioner/2</c>) is refused by name, so that a format change is seen, never
/// misread.</para>
/// </remarks>
internal sealed record PartyDeclaration(RebalanceMode Rebalance, string Function, ulong ItemsDigest)
{
    private const ulong DigestSeed = 0x5851F42D4C957F2DUL;

    /// <summary>The declaration of a member with <paramref name="config"/>.</summary>
    public static PartyDeclaration Of(PartitionerConfig config) =>
        new(config.Rebalance, config.PartitionFunctionName, DigestOf(config.Items));

    /// <summary>
    /// A digest of the item set: the same in every process and release (a test pins its values). The items are folded
    /// in code-point order (as <see cref="PartitionerConfig.Items"/> holds them), each as its <see cref="StableHash"/>
    /// (which folds in its length, so that no two sequences of items read as one), after the count.
    /// </summary>
    /// <remarks>
    /// Two different item sets get one digest only by chance: each step is a bijection of the state mixed with the next
    /// item's hash, so the digest behaves as a random 64-bit value, and two different sets collide with a probability of
    /// about 2^-64 (plus that of two different items at one position sharing a 64-bit hash, as small). It is not a
    /// cryptographic hash: a member's configuration is not an adversary.
    /// </remarks>
    public static ulong DigestOf(ImmutableArray<string> sortedItems)
    {
        ulong state = StableHash.Mix(DigestSeed ^ (ulong)sortedItems.Length);
        foreach (string item in sortedItems)
        {
            state = StableHash.Mix(state ^ StableHash.Of(item));
        }

        return state;
    }

    /// <summary>The digest as it is written: 16 lowercase hex digits.</summary>
    public static string DigestText(ulong digest) => digest.ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>What differs between this declaration and <paramref name="other"/>'s, as a phrase about the other; null when nothing does.</summary>
    public string? DifferencesFrom(PartyDeclaration other)
    {
        var differences = new List<string>(3);
        if (other.Rebalance != Rebalance)
        {
            differences.Add($"declares rebalance={ModeName(other.Rebalance)}, this member rebalance={ModeName(Rebalance)}");
        }

        if (!string.Equals(other.Function, Function, StringComparison.Ordinal))
        {
            differences.Add($"uses the partition function {ZnodeNameRules.Quote(other.Function)}, this member {ZnodeNameRules.Quote(Function)}");
        }

        if (other.ItemsDigest != ItemsDigest)
        {
            differences.Add($"has a different item set (digest {DigestText(other.ItemsDigest)}, this member's {DigestText(ItemsDigest)})");
        }

        return differences.Count == 0 ? null : string.Join("; ", differences);
    }

    /// <summary>The mode as the format writes it.</summary>
    public static string ModeName(RebalanceMode mode) => mode == RebalanceMode.Eager ? "eager" : "cooperative";
}

/// <summary>
/// The format <c>partitioner/1</c> of a declaration in a party node's data: writing it, and reading it strictly. See
/// <see cref="PartyDeclaration"/> for the format.
/// </summary>
internal static class PartyDeclarationFormat
{
    /// <summary>The format's name and version, the line's first field.</summary>
    public const string Format = "partitioner/1";

    private const string FormatPrefix = "partitioner/";

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>
    /// The data of this member's party node: the identifier alone in eager mode (kazoo's data, unchanged), the identifier
    /// and the declaration line in cooperative mode.
    /// </summary>
    public static ImmutableArray<byte> NodeData(PartitionerConfig config) => config.Rebalance == RebalanceMode.Eager
        ? [.. Encoding.UTF8.GetBytes(config.Identifier)]
        : [.. Encoding.UTF8.GetBytes(config.Identifier + "\n" + LineOf(PartyDeclaration.Of(config)))];

    /// <summary>The declaration line, in the format of <see cref="PartyDeclarationFormat.Format"/>.</summary>
    public static string LineOf(PartyDeclaration declaration) => string.Concat(
        Format,
        " rebalance=", PartyDeclaration.ModeName(declaration.Rebalance),
        " function=", Escape(declaration.Function),
        " items=", PartyDeclaration.DigestText(declaration.ItemsDigest));

    /// <summary>
    /// Reads the data of the party node of the member <paramref name="identifier"/> (the text after the first '-' of
    /// the node's name).
    /// </summary>
    public static DeclarationRead Read(string identifier, ReadOnlySpan<byte> data)
    {
        string text;
        try
        {
            text = StrictUtf8.GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return new DeclarationRead.Unreadable("it is not valid UTF-8");
        }

        int newline = text.IndexOf('\n', StringComparison.Ordinal);
        if (newline < 0)
        {
            return new DeclarationRead.None();
        }

        string named = text[..newline];
        if (!string.Equals(named, identifier, StringComparison.Ordinal))
        {
            return new DeclarationRead.Unreadable($"its first line is {ZnodeNameRules.Quote(named)}, not the identifier {ZnodeNameRules.Quote(identifier)} of its node's name");
        }

        return ParseLine(text[(newline + 1)..]);
    }

    private static DeclarationRead ParseLine(string line)
    {
        if (!line.StartsWith(FormatPrefix, StringComparison.Ordinal))
        {
            return new DeclarationRead.Unreadable($"its declaration line {ZnodeNameRules.Quote(line)} does not start with \"{FormatPrefix}\"");
        }

        string[] fields = line.Split(' ');
        if (!string.Equals(fields[0], Format, StringComparison.Ordinal))
        {
            return new DeclarationRead.Unreadable($"it declares the format {ZnodeNameRules.Quote(fields[0])}; this member reads {Format} only");
        }

        if (fields.Length != 4)
        {
            return new DeclarationRead.Unreadable($"its declaration line {ZnodeNameRules.Quote(line)} has {fields.Length} space-separated fields, not 4");
        }

        string? why = null;
        var mode = Field(fields[1], "rebalance", ref why) switch
        {
            "eager" => RebalanceMode.Eager,
            "cooperative" => RebalanceMode.Cooperative,
            var other => Refuse<RebalanceMode>(ref why, $"rebalance={ZnodeNameRules.Quote(other)} is neither eager nor cooperative"),
        };
        string? function = Field(fields[2], "function", ref why) is { } escaped ? Unescape(escaped, ref why) : null;
        ulong digest = Field(fields[3], "items", ref why) is { } hex ? ParseDigest(hex, ref why) : 0;
        return why is null && function is not null
            ? new DeclarationRead.Declared(new PartyDeclaration(mode, function, digest))
            : new DeclarationRead.Unreadable(why ?? "it is not a declaration");
    }

    /// <summary>The value of <c>key=value</c>; null, with the first reason kept in <paramref name="why"/>, when the key is not <paramref name="key"/>.</summary>
    private static string? Field(string field, string key, ref string? why)
    {
        if (field.Length > key.Length && field[key.Length] == '=' && field.StartsWith(key, StringComparison.Ordinal))
        {
            return field[(key.Length + 1)..];
        }

        Refuse<bool>(ref why, $"the field {ZnodeNameRules.Quote(field)} is not {key}=...");
        return null;
    }

    private static T? Refuse<T>(ref string? why, string reason)
    {
        why ??= reason;
        return default;
    }

    private static ulong ParseDigest(string hex, ref string? why)
    {
        bool valid = hex.Length == 16 && hex.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
        return valid
            ? ulong.Parse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture)
            : Refuse<ulong>(ref why, $"items={ZnodeNameRules.Quote(hex)} is not 16 lowercase hex digits");
    }

    private static bool IsUnreserved(char c) => c is (>= 'A' and <= 'Z') or (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '.' or '_' or '~';

    /// <summary>The name with every byte of a character outside the unreserved set as <c>%XX</c>: no space, '=' or line feed can reach the line.</summary>
    private static string Escape(string name)
    {
        var text = new StringBuilder(name.Length);
        foreach (byte b in Encoding.UTF8.GetBytes(name))
        {
            if (b < 0x80 && IsUnreserved((char)b))
            {
                text.Append((char)b);
            }
            else
            {
                text.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return text.ToString();
    }

    /// <summary>The inverse of <see cref="Escape"/>, strict: only unreserved characters and <c>%XX</c> (uppercase hex) of valid UTF-8.</summary>
    private static string? Unescape(string escaped, ref string? why)
    {
        var bytes = new List<byte>(escaped.Length);
        for (int i = 0; i < escaped.Length; i++)
        {
            char c = escaped[i];
            if (IsUnreserved(c))
            {
                bytes.Add((byte)c);
            }
            else if (c == '%' && i + 2 < escaped.Length && IsUpperHex(escaped[i + 1]) && IsUpperHex(escaped[i + 2]))
            {
                bytes.Add(byte.Parse(escaped.AsSpan(i + 1, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture));
                i += 2;
            }
            else
            {
                return Refuse<string>(ref why, $"function={ZnodeNameRules.Quote(escaped)} has {ZnodeNameRules.Quote(c.ToString())} at index {i.ToString(CultureInfo.InvariantCulture)}, which is neither unreserved nor a %XX escape");
            }
        }

        if (bytes.Count == 0)
        {
            return Refuse<string>(ref why, "function= is empty");
        }

        try
        {
            return StrictUtf8.GetString([.. bytes]);
        }
        catch (DecoderFallbackException)
        {
            return Refuse<string>(ref why, $"function={ZnodeNameRules.Quote(escaped)} is not UTF-8 once unescaped");
        }
    }

    private static bool IsUpperHex(char c) => c is (>= '0' and <= '9') or (>= 'A' and <= 'F');
}


/// <summary>What a member's party node data says: a declaration, nothing, or something that cannot be read.</summary>
internal abstract record DeclarationRead
{
    /// <summary>No declaration: the data is the identifier alone (an eager member of this library, or a kazoo member).</summary>
    public sealed record None : DeclarationRead;

    /// <summary>A declaration in the format <see cref="PartyDeclarationFormat.Format"/>.</summary>
    public sealed record Declared(PartyDeclaration Declaration) : DeclarationRead;

    /// <summary>Data with a line feed that is not a declaration this member can read; <paramref name="Why"/> says what is wrong.</summary>
    public sealed record Unreadable(string Why) : DeclarationRead;
}
