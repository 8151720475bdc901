using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The znode layout of a party, the same as kazoo's <c>SetPartitioner</c> so that C# and Python
/// members can share one: <c>P/party/&lt;32 hex&gt;-&lt;identifier&gt;</c> (ephemeral) and
/// <c>P/locks/&lt;item&gt;/&lt;32 hex&gt;__lock__&lt;10 digits&gt;</c> (ephemeral sequential).
/// </summary>
public static class ZnodePaths
{
    /// <summary>The text between a contender prefix and the sequence number of a lock node.</summary>
    public const string LockMarker = "__lock__";

    /// <summary>The party folder, <c>P/party</c>.</summary>
    public static string Party(string root) => root + "/party";

    /// <summary>The lock folders' parent, <c>P/locks</c>.</summary>
    public static string Locks(string root) => root + "/locks";

    /// <summary>The lock folder of one item, <c>P/locks/&lt;item&gt;</c>.</summary>
    public static string LockFolder(string root, string item) => string.Concat(root, "/locks/", item);

    /// <summary>A member's party node name, <c>&lt;prefix&gt;-&lt;identifier&gt;</c>.</summary>
    public static string PartyNodeName(string contenderPrefix, string identifier) => contenderPrefix + "-" + identifier;

    /// <summary>
    /// The path a member asks to create for a lock of <paramref name="item"/>; the server appends the
    /// 10-digit sequence number.
    /// </summary>
    public static string LockNodeRequest(string root, string item, string contenderPrefix) =>
        string.Concat([root, "/locks/", item, "/", contenderPrefix, LockMarker]);

    /// <summary>The last segment of a path: the node's name.</summary>
    public static string NameOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path[(path.LastIndexOf('/') + 1)..];
    }

    /// <summary>
    /// The proper ancestors of an absolute path, outermost first, without the root <c>/</c>:
    /// <c>/a/b/c</c> gives <c>/a</c> and <c>/a/b</c>.
    /// </summary>
    public static ImmutableArray<string> AncestorsOf(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var ancestors = ImmutableArray.CreateBuilder<string>();
        for (int slash = path.IndexOf('/', 1); slash > 0; slash = path.IndexOf('/', slash + 1))
        {
            ancestors.Add(path[..slash]);
        }

        return ancestors.ToImmutable();
    }
}

/// <summary>Reads party node names (kazoo's <c>ShallowParty</c>).</summary>
public static class PartyNode
{
    /// <summary>
    /// The identifier of the member that owns the party node <paramref name="nodeName"/>: the text after
    /// the first '-', or the whole name when there is none (as kazoo reads it). Identifiers may contain '-'.
    /// </summary>
    public static string IdentifierOf(string nodeName)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        return nodeName[(nodeName.IndexOf('-', StringComparison.Ordinal) + 1)..];
    }
}

/// <summary>Reads lock node names (kazoo's <c>Lock</c>): <c>&lt;prefix&gt;__lock__&lt;sequence&gt;</c>.</summary>
public static class LockNode
{
    private const int SequenceDigits = 10;

    /// <summary>
    /// The sequence text of a lock contender, or null when <paramref name="nodeName"/> is not one.
    /// A contender ends with <c>__lock__</c> and ten ASCII digits, optionally negative after the counter
    /// overflows (kazoo's pattern <c>__lock__(-?\d{10})$</c>); other children of a lock folder are ignored.
    /// </summary>
    /// <remarks>
    /// Contenders are ordered by comparing these texts ordinally, exactly as kazoo compares them, so that
    /// C# and Python members agree on who holds a lock even around a counter overflow.
    /// </remarks>
    public static string? SequenceOf(string nodeName)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        if (nodeName.Length < ZnodePaths.LockMarker.Length + SequenceDigits)
        {
            return null;
        }

        int digitsStart = nodeName.Length - SequenceDigits;
        for (int i = digitsStart; i < nodeName.Length; i++)
        {
            if (nodeName[i] is < '0' or > '9')
            {
                return null;
            }
        }

        int sequenceStart = digitsStart > 0 && nodeName[digitsStart - 1] == '-' ? digitsStart - 1 : digitsStart;
        bool marked = nodeName.AsSpan(0, sequenceStart).EndsWith(ZnodePaths.LockMarker, StringComparison.Ordinal);
        return marked ? nodeName[sequenceStart..] : null;
    }

    /// <summary>True when <paramref name="nodeName"/> is a lock contender created with <paramref name="contenderPrefix"/>.</summary>
    public static bool IsOwnedBy(string nodeName, string contenderPrefix)
    {
        ArgumentNullException.ThrowIfNull(nodeName);
        ArgumentNullException.ThrowIfNull(contenderPrefix);
        return SequenceOf(nodeName) is { } sequence
            && nodeName.Length == contenderPrefix.Length + ZnodePaths.LockMarker.Length + sequence.Length
            && nodeName.StartsWith(contenderPrefix, StringComparison.Ordinal);
    }
}
