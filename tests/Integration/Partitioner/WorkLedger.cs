namespace Partitioner.Integration.Partitioner;

/// <summary>
/// The work the members' <see cref="global::Partitioner.ZooKeeper.SetPartitioner.RunAsync"/> loops are doing, item by item:
/// records a violation when a member starts work on an item another member has not stopped working on.
/// This is single ownership as the application sees it, with the consumer's own stopping time included.
/// </summary>
internal sealed class WorkLedger
{
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _workingOn = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];

    /// <summary>The work function for member <paramref name="owner"/>: holds its items until cancelled, then takes <paramref name="stopDelay"/> to stop.</summary>
    public Func<IReadOnlyList<string>, CancellationToken, Task> Work(string owner, TimeSpan stopDelay) =>
        async (items, cancellationToken) =>
        {
            Begin(owner, items);
            try
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                await Task.Delay(stopDelay, CancellationToken.None);
            }
            finally
            {
                End(owner, items);
            }
        };

    /// <summary>Who is working on what now.</summary>
    public IReadOnlyDictionary<string, string> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, string>(_workingOn, StringComparer.Ordinal);
        }
    }

    public void AssertNoOverlap()
    {
        lock (_gate)
        {
            Assert.True(_violations.Count == 0, string.Join(" | ", _violations.Take(5)));
        }
    }

    private void Begin(string owner, IReadOnlyList<string> items)
    {
        lock (_gate)
        {
            foreach (var item in items)
            {
                if (!_workingOn.TryAdd(item, owner))
                {
                    _violations.Add($"{owner} started on {item} while {_workingOn[item]} was still working on it");
                }
            }
        }
    }

    private void End(string owner, IReadOnlyList<string> items)
    {
        lock (_gate)
        {
            foreach (var item in items.Where(i => _workingOn.TryGetValue(i, out var o) && o == owner))
            {
                _workingOn.Remove(item);
            }
        }
    }
}
