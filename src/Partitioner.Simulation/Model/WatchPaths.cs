namespace Partitioner.Simulation.Model;

/// <summary>
/// The paths a server session watches, of one kind, kept together with the server's reverse index (path
/// to watching sessions) so that a write finds the sessions it notifies without visiting every session.
/// </summary>
internal sealed class WatchPaths
{
    private readonly SortedSet<string> _paths = new(StringComparer.Ordinal);
    private readonly WatchIndex _index;
    private readonly long _sessionId;

    public WatchPaths(WatchIndex index, long sessionId)
    {
        _index = index;
        _sessionId = sessionId;
    }

    public int Count => _paths.Count;

    public bool Add(string path)
    {
        if (!_paths.Add(path))
        {
            return false;
        }

        _index.Add(path, _sessionId);
        return true;
    }

    public bool Remove(string path)
    {
        if (!_paths.Remove(path))
        {
            return false;
        }

        _index.Remove(path, _sessionId);
        return true;
    }

    public void Clear()
    {
        foreach (var path in _paths)
        {
            _index.Remove(path, _sessionId);
        }

        _paths.Clear();
    }
}

/// <summary>For one kind of watch, the sessions watching each path, in session-id order.</summary>
internal sealed class WatchIndex
{
    private readonly Dictionary<string, SortedSet<long>> _watchers = new(StringComparer.Ordinal);

    /// <summary>True when no session watches anything: a write then has no one to notify.</summary>
    public bool IsEmpty => _watchers.Count == 0;

    public void Add(string path, long sessionId)
    {
        if (!_watchers.TryGetValue(path, out var ids))
        {
            _watchers[path] = ids = new SortedSet<long>();
        }

        ids.Add(sessionId);
    }

    public void Remove(string path, long sessionId)
    {
        if (_watchers.TryGetValue(path, out var ids) && ids.Remove(sessionId) && ids.Count == 0)
        {
            _watchers.Remove(path);
        }
    }

    /// <summary>Adds the sessions watching <paramref name="path"/> to <paramref name="into"/>.</summary>
    public void CollectInto(string path, SortedSet<long> into)
    {
        if (_watchers.TryGetValue(path, out var ids))
        {
            into.UnionWith(ids);
        }
    }
}
