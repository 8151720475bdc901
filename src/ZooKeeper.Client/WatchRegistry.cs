namespace ZooKeeper.Client;

/// <summary>
/// The session's one-shot watches, by caller path, in three tables as ZooKeeper keeps them server-side.
/// Watches are added by the reader when a read's reply arrives and removed when they fire.
/// </summary>
internal sealed class WatchRegistry
{
    private readonly object _sync = new();
    private readonly SortedDictionary<string, List<Action<WatchedEvent>>> _data = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, List<Action<WatchedEvent>>> _exist = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, List<Action<WatchedEvent>>> _child = new(StringComparer.Ordinal);

    public void Add(WatchKind kind, string path, Action<WatchedEvent> callback)
    {
        lock (_sync)
        {
            var table = Table(kind);
            if (!table.TryGetValue(path, out var list))
            {
                table[path] = list = [];
            }

            // The same callback on the same path is called once per event, as ZooKeeper's own clients do.
            if (!list.Contains(callback))
            {
                list.Add(callback);
            }
        }
    }

    /// <summary>Removes and returns the watchers a server notification fires (see the protocol notes, section 5).</summary>
    public List<Action<WatchedEvent>> Take(EventType type, string path)
    {
        var fired = new List<Action<WatchedEvent>>();
        lock (_sync)
        {
            if (type is EventType.NodeCreated or EventType.NodeDataChanged or EventType.NodeDeleted)
            {
                TakeFrom(_data, path, fired);
                TakeFrom(_exist, path, fired);
            }

            if (type is EventType.NodeChildrenChanged or EventType.NodeDeleted)
            {
                TakeFrom(_child, path, fired);
            }
        }

        return fired;
    }

    /// <summary>Removes and returns every watcher (on expiry).</summary>
    public List<Action<WatchedEvent>> TakeAll()
    {
        var fired = new List<Action<WatchedEvent>>();
        lock (_sync)
        {
            foreach (var table in new[] { _data, _exist, _child })
            {
                foreach (var list in table.Values)
                {
                    fired.AddRange(list.Where(w => !fired.Contains(w)));
                }

                table.Clear();
            }
        }

        return fired;
    }

    /// <summary>The watched paths of each table, for setWatches after a reconnect.</summary>
    public (List<string> Data, List<string> Exist, List<string> Child) Snapshot()
    {
        lock (_sync)
        {
            return ([.. _data.Keys], [.. _exist.Keys], [.. _child.Keys]);
        }
    }

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _data.Count + _exist.Count + _child.Count;
            }
        }
    }

    private SortedDictionary<string, List<Action<WatchedEvent>>> Table(WatchKind kind) => kind switch
    {
        WatchKind.Data => _data,
        WatchKind.Exist => _exist,
        _ => _child,
    };

    private static void TakeFrom(SortedDictionary<string, List<Action<WatchedEvent>>> table, string path, List<Action<WatchedEvent>> fired)
    {
        if (table.Remove(path, out var list))
        {
            fired.AddRange(list.Where(w => !fired.Contains(w)));
        }
    }
}
