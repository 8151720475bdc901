namespace Partitioner.Simulation.Model;

/// <summary>
/// The paths a server session watches, of one kind, kept together with the server's reverse index (path
/// to watching sessions) so that a write finds the sessions it notifies without visiting every session.
/// </summary>
internal sealed class WatchPaths
{
    private readonly SortedSet<string> paths = new(StringComparer.Ordinal);
    private readonly WatchIndex index;
    private readonly long sessionId;

    public WatchPaths(WatchIndex index, long sessionId)
    {
        this.index = index;
        this.sessionId = sessionId;
    }

    public int Count => paths.Count;

    public bool Add(string path)
    {
        if (!paths.Add(path))
        {
            return false;
        }

        index.Add(path, sessionId);
        return true;
    }

    public bool Remove(string path)
    {
        if (!paths.Remove(path))
        {
            return false;
        }

        index.Remove(path, sessionId);
        return true;
    }

    public void Clear()
    {
        foreach (var path in paths)
        {
            index.Remove(path, sessionId);
        }

        paths.Clear();
    }
}

/// <summary>For one kind of watch, the sessions watching each path, in session-id order.</summary>
internal sealed class WatchIndex
{
    private readonly Dictionary<string, SortedSet<long>> watchers = new(StringComparer.Ordinal);

    /// <summary>True when no session watches anything: a write then has no one to notify.</summary>
    public bool IsEmpty => watchers.Count == 0;

    public void Add(string path, long sessionId)
    {
        if (!watchers.TryGetValue(path, out var ids))
        {
            watchers[path] = ids = new SortedSet<long>();
        }

        ids.Add(sessionId);
    }

    public void Remove(string path, long sessionId)
    {
        if (watchers.TryGetValue(path, out var ids) && ids.Remove(sessionId) && ids.Count == 0)
        {
            watchers.Remove(path);
        }
    }

    /// <summary>Adds the sessions watching <paramref name="path"/> to <paramref name="into"/>.</summary>
    public void CollectInto(string path, SortedSet<long> into)
    {
        if (watchers.TryGetValue(path, out var ids))
        {
            into.UnionWith(ids);
        }
    }
}
