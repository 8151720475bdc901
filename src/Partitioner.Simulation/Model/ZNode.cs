using System.Collections.Immutable;

namespace Partitioner.Simulation.Model;

/// <summary>One node of the in-memory ZooKeeper tree, with the stat fields the model needs.</summary>
/// <remarks>
/// A run keeps a node per lock and per lock folder, tens of thousands of them, and the benchmark's instant port
/// keeps this tree too, in the heap it measures: a node holds no more than it must. Its children are kept sorted by
/// path, which for siblings (one parent's path, a slash, then the name) is the ordinal order of their names: listings
/// come out in that order and a lookup by name is a binary search. A lone child (a lock folder's usual one) is held in
/// the field itself, more in an array; most nodes (every lock node) have none. Its name is cut from its path the first
/// time it is asked for, since most names never are.
/// </remarks>
public sealed class ZNode
{
    // Null, the one child, or an array of the children sorted by path (its first `count` entries).
    private object? _children;

    // A persistent node's number of children; an ephemeral node (which has none) uses it for its place in its
    // owner's list (see ServerSession.Ephemerals). One field for both keeps the node a word smaller.
    private int _countOrIndex;
    private string? _name;

    internal ZNode(string path, ZNode? parent, ImmutableArray<byte> data, long ephemeralOwner, long czxid)
    {
        Path = path;
        Parent = parent;
        Data = data;
        EphemeralOwner = ephemeralOwner;
        Czxid = czxid;
        Pzxid = czxid;
    }

    /// <summary>The full path.</summary>
    public string Path { get; }

    /// <summary>The last path segment (empty for the root).</summary>
    public string Name => _name ??= Path[(Path.LastIndexOf('/') + 1)..];

    /// <summary>The parent; null for the root.</summary>
    public ZNode? Parent { get; }

    /// <summary>The node's data (the model has no setData, so it never changes).</summary>
    public ImmutableArray<byte> Data { get; }

    /// <summary>The owning session of an ephemeral node; 0 for a persistent one.</summary>
    public long EphemeralOwner { get; }

    /// <summary>The zxid that created the node.</summary>
    public long Czxid { get; }

    /// <summary>The zxid that last changed the node's data: the creating one, as the model has no setData.</summary>
    public long Mzxid => Czxid;

    /// <summary>The zxid that last changed the node's children.</summary>
    public long Pzxid { get; internal set; }

    /// <summary>The number of child creations and deletions; the next sequential child's suffix.</summary>
    public int Cversion { get; internal set; }

    /// <summary>True for ephemeral nodes.</summary>
    public bool IsEphemeral => EphemeralOwner != 0;

    /// <summary>The number of children.</summary>
    internal int ChildCount => IsEphemeral ? 0 : _countOrIndex;

    /// <summary>Where the ephemeral node is in its owner's list of ephemerals (see <see cref="ServerSession.Ephemerals"/>).</summary>
    internal int EphemeralIndex
    {
        get => _countOrIndex;
        set => _countOrIndex = IsEphemeral ? value : throw new InvalidOperationException($"{Path} is persistent: it has no owner");
    }

    /// <summary>The children's names, in ordinal order.</summary>
    public IEnumerable<string> ChildNames
    {
        get
        {
            for (int i = 0; i < ChildCount; i++)
            {
                yield return ChildAt(i).Name;
            }
        }
    }

    /// <summary>The length of a child's path before its name: this node's path and a slash (the root's is the slash alone).</summary>
    private int ChildNameStart => Parent is null ? 1 : Path.Length + 1;

    /// <summary>The child named <paramref name="childName"/>, or null.</summary>
    public ZNode? Child(string childName) => Child(childName.AsSpan());

    /// <summary>The child at <paramref name="childPath"/>, a path whose parent is this node, or null.</summary>
    internal ZNode? ChildByPath(string childPath) => Child(childPath.AsSpan(ChildNameStart));

    /// <summary>Copies the children's names, in ordinal order, into a new array.</summary>
    internal string[] ChildNamesArray()
    {
        var names = new string[ChildCount];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = ChildAt(i).Name;
        }

        return names;
    }

    /// <summary>Adds <paramref name="child"/> in its place (its name must be free).</summary>
    internal void AddChild(ZNode child)
    {
        int count = ChildCount;
        int at = Search(child.Path.AsSpan(ChildNameStart));
        if (at >= 0 || IsEphemeral)
        {
            throw new InvalidOperationException($"{Path} cannot take a child at {child.Path}");
        }

        at = ~at;
        if (_children is null)
        {
            _children = child;
        }
        else
        {
            if (_children is ZNode only)
            {
                _children = new ZNode[] { only, null!, null!, null! };
            }

            var array = (ZNode[])_children;
            if (count == array.Length)
            {
                Array.Resize(ref array, 2 * count);
                _children = array;
            }

            // Folders are mostly created in ascending order, so the insertion is mostly an append.
            Array.Copy(array, at, array, at + 1, count - at);
            array[at] = child;
        }

        _countOrIndex = count + 1;
    }

    /// <summary>Removes <paramref name="child"/>, if it is one.</summary>
    internal void RemoveChild(ZNode child)
    {
        int at = Search(child.Path.AsSpan(ChildNameStart));
        if (at < 0)
        {
            return;
        }

        int count = _countOrIndex - 1;
        _countOrIndex = count;
        if (_children is ZNode)
        {
            _children = null;
            return;
        }

        var array = (ZNode[])_children!;
        Array.Copy(array, at + 1, array, at, count - at);
        array[count] = null!;
    }

    private ZNode ChildAt(int index) => _children as ZNode ?? ((ZNode[])_children!)[index];

    private ZNode? Child(ReadOnlySpan<char> childName)
    {
        int at = Search(childName);
        return at >= 0 ? ChildAt(at) : null;
    }

    /// <summary>The index of the child named <paramref name="childName"/>, or the complement of where it would go.</summary>
    private int Search(ReadOnlySpan<char> childName)
    {
        int count = ChildCount;
        if (count == 0)
        {
            return ~0;
        }

        // Ordinal: UTF-16 code units compared by value, as StringComparer.Ordinal does. The last child first: a name
        // after it (an ascending batch of folders, a lock folder's next contender) goes at the end at once.
        int start = ChildNameStart;
        int last = ChildAt(count - 1).Path.AsSpan(start).SequenceCompareTo(childName);
        if (last <= 0)
        {
            return last == 0 ? count - 1 : ~count;
        }

        int low = 0;
        int high = count - 2;
        while (low <= high)
        {
            int middle = low + ((high - low) >> 1);
            int order = ChildAt(middle).Path.AsSpan(start).SequenceCompareTo(childName);
            if (order == 0)
            {
                return middle;
            }

            if (order < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        return ~low;
    }
}
