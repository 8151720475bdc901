namespace Partitioner.Simulation.Model;

/// <summary>One node of the in-memory ZooKeeper tree, with the stat fields the model needs.</summary>
public sealed class ZNode
{
    // The children by name in ordinal order (so that every listing is deterministic), and the same in a hash
    // table for Child: a run looks up lock folders among thousands of siblings many times per step, where the
    // sorted tree costs a dozen string comparisons per lookup. Both are made with the first child, since most
    // nodes (every lock node) never have one.
    private SortedDictionary<string, ZNode>? children;
    private Dictionary<string, ZNode>? byName;

    internal ZNode(string path, string name, ZNode? parent, byte[] data, long ephemeralOwner, long czxid)
    {
        Path = path;
        Name = name;
        Parent = parent;
        Data = data;
        EphemeralOwner = ephemeralOwner;
        Czxid = czxid;
        Mzxid = czxid;
        Pzxid = czxid;
    }

    /// <summary>The full path.</summary>
    public string Path { get; }

    /// <summary>The last path segment.</summary>
    public string Name { get; }

    /// <summary>The parent; null for the root.</summary>
    public ZNode? Parent { get; }

    /// <summary>The node's data.</summary>
    public byte[] Data { get; }

    /// <summary>The owning session of an ephemeral node; 0 for a persistent one.</summary>
    public long EphemeralOwner { get; }

    /// <summary>The zxid that created the node.</summary>
    public long Czxid { get; }

    /// <summary>The zxid that last changed the node's data.</summary>
    public long Mzxid { get; }

    /// <summary>The zxid that last changed the node's children.</summary>
    public long Pzxid { get; internal set; }

    /// <summary>The number of child creations and deletions; the next sequential child's suffix.</summary>
    public int Cversion { get; internal set; }

    /// <summary>The number of children.</summary>
    internal int ChildCount => children?.Count ?? 0;

    /// <summary>The children's names, in ordinal order.</summary>
    public IEnumerable<string> ChildNames => children is null ? Array.Empty<string>() : children.Keys;

    /// <summary>The child named <paramref name="name"/>, or null.</summary>
    public ZNode? Child(string name) => byName?.GetValueOrDefault(name);

    /// <summary>Adds <paramref name="child"/> under its name (which must be free).</summary>
    internal void AddChild(ZNode child)
    {
        children ??= new SortedDictionary<string, ZNode>(StringComparer.Ordinal);
        byName ??= new Dictionary<string, ZNode>(StringComparer.Ordinal);
        children.Add(child.Name, child);
        byName.Add(child.Name, child);
    }

    /// <summary>Removes the child named <paramref name="name"/>, if there is one.</summary>
    internal void RemoveChild(string name)
    {
        children?.Remove(name);
        byName?.Remove(name);
    }

    /// <summary>True for ephemeral nodes.</summary>
    public bool IsEphemeral => EphemeralOwner != 0;
}
