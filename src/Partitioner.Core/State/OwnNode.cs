using System.Collections;
using System.Collections.Immutable;
using System.Globalization;

namespace Partitioner.Core;

/// <summary>
/// This member's lock node in one item's folder, and its creation zxid (the fencing token) when known. A node named
/// as this member names its nodes (its contender prefix, <c>__lock__</c>, ten digits) is kept as the shared prefix and
/// the sequence number, not as a string of its own: 100,000 held items then cost no node name each.
/// </summary>
/// <remarks>
/// A record struct for its generated value equality: the default one of a plain struct goes through reflection and
/// boxes both values.
/// </remarks>
internal readonly record struct OwnNode
{
    private const int SequenceDigits = 10;

    // The token of a node whose creation zxid is not known: no zxid is negative. A sentinel rather than a flag keeps
    // the node at three words, which 100,000 held items pay for each.
    private const long NoToken = long.MinValue;

    // The contender prefix when _sequence >= 0; otherwise the node's whole name.
    private readonly string _text;
    private readonly long _sequence;
    private readonly long _token;

    private OwnNode(string text, long sequence, bool hasToken, long token)
    {
        _text = text;
        _sequence = sequence;
        _token = hasToken ? token : NoToken;
    }

    /// <summary>True when the creation zxid is known.</summary>
    public bool HasToken => _token != NoToken;

    /// <summary>The creation zxid; only meaningful when <see cref="HasToken"/>.</summary>
    public long Token => _token;

    /// <summary>The node's name, made on each call for a node kept as prefix and sequence.</summary>
    public string Name => _sequence < 0
        ? _text
        : string.Create(CultureInfo.InvariantCulture, $"{_text}{ZnodePaths.LockMarker}{_sequence:D10}");

    /// <summary>The node named <paramref name="name"/>, created at <paramref name="createdZxid"/> when known.</summary>
    public static OwnNode Named(string name, long? createdZxid) =>
        new(name, -1, createdZxid.HasValue, createdZxid.GetValueOrDefault());

    /// <summary>The node at <paramref name="createdPath"/> (its last segment), created by a member with <paramref name="contenderPrefix"/>.</summary>
    public static OwnNode Created(string createdPath, string contenderPrefix, long? createdZxid)
    {
        var name = createdPath.AsSpan(createdPath.LastIndexOf('/') + 1);
        return SequenceIn(name, contenderPrefix) is { } sequence
            ? new OwnNode(contenderPrefix, sequence, createdZxid.HasValue, createdZxid.GetValueOrDefault())
            : Named(name.ToString(), createdZxid);
    }

    /// <summary>The same node with its creation zxid known.</summary>
    public OwnNode WithToken(long createdZxid) => new(_text, _sequence, true, createdZxid);

    /// <summary>True when this node's name is <paramref name="name"/>, compared without making the name.</summary>
    public bool IsNamed(string? name)
    {
        if (name is null)
        {
            return false;
        }

        return _sequence < 0 ? string.Equals(_text, name, StringComparison.Ordinal) : SequenceIn(name, _text) == _sequence;
    }

    /// <summary>The path of this node in <paramref name="item"/>'s folder under <paramref name="root"/>, in one string.</summary>
    public string PathIn(string root, string item) => _sequence < 0
        ? string.Concat([root, "/locks/", item, "/", _text])
        : string.Create(CultureInfo.InvariantCulture, $"{root}/locks/{item}/{_text}{ZnodePaths.LockMarker}{_sequence:D10}");

    /// <summary>The sequence of a node named <c>prefix__lock__DDDDDDDDDD</c>; null for any other name.</summary>
    private static long? SequenceIn(ReadOnlySpan<char> name, string contenderPrefix)
    {
        if (name.Length != contenderPrefix.Length + ZnodePaths.LockMarker.Length + SequenceDigits
            || !name.StartsWith(contenderPrefix, StringComparison.Ordinal)
            || !name[contenderPrefix.Length..].StartsWith(ZnodePaths.LockMarker, StringComparison.Ordinal))
        {
            return null;
        }

        long sequence = 0;
        foreach (char digit in name[^SequenceDigits..])
        {
            if (digit is < '0' or > '9')
            {
                return null;
            }

            sequence = (sequence * 10) + (digit - '0');
        }

        return sequence;
    }
}

/// <summary>The names of this member's lock nodes by item, read from the ledger's <see cref="OwnNode"/>s.</summary>
internal readonly struct OwnNodeNames(SortedItemMap<OwnNode> nodes) : IEnumerable<KeyValuePair<string, string>>
{
    public bool IsEmpty => nodes.IsEmpty;

    public int Count => nodes.Count;

    public IEnumerable<string> Keys => nodes.Keys;

    public string this[string item] => nodes[item].Name;

    public bool ContainsKey(string item) => nodes.ContainsKey(item);

    public string? GetValueOrDefault(string item) => nodes.TryGetValue(item, out var node) ? node.Name : null;

    public IEnumerator<KeyValuePair<string, string>> GetEnumerator() =>
        nodes.Select(node => KeyValuePair.Create(node.Key, node.Value.Name)).GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>The known fencing tokens of this member's lock nodes by item, read from the ledger's <see cref="OwnNode"/>s.</summary>
internal readonly struct OwnNodeTokens(SortedItemMap<OwnNode> nodes)
{
    public long this[string item] => nodes[item] is { HasToken: true } node ? node.Token : throw new KeyNotFoundException($"No token is known for the item {ZnodeNameRules.Quote(item)}.");

    public bool ContainsKey(string item) => nodes.TryGetValue(item, out var node) && node.HasToken;

    public bool TryGetValue(string item, out long token)
    {
        bool known = nodes.TryGetValue(item, out var node) && node.HasToken;
        token = known ? node.Token : 0;
        return known;
    }
}

/// <summary>
/// The ledger's nodes walked alongside items asked for in code-point order (a share's): each answer costs a step or
/// two of the walk, not a search. An item asked for out of order is searched for.
/// </summary>
internal sealed class NodeWalk(SortedItemMap<OwnNode> nodes) : IDisposable
{
    private readonly SortedItemMap<OwnNode>.Cursor _walk = nodes.Walk();

    /// <summary>This member's node for <paramref name="item"/>, if it has one.</summary>
    public bool TryGet(string item, out OwnNode node) => _walk.TryGet(item, out node);

    public void Dispose()
    {
    }
}
