using Partitioner.ZooKeeper;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// The work the members' loops are doing, item by item: records a violation when a member starts work on an item
/// another member has not stopped working on. This is single ownership as the application sees it, with the
/// consumer's own stopping time included. For per-item work (<see cref="SetPartitioner.RunItemsAsync"/>) it also keeps,
/// in order, every start and stop of an item's work and every <see cref="SetPartitioner.ItemOwnershipChanged"/> event
/// of the members it listens to (<see cref="Steps"/>), so that a test can say what was interrupted.
/// </summary>
internal sealed class WorkLedger
{
    private readonly object _gate = new();
    private readonly Dictionary<string, string> _workingOn = new(StringComparer.Ordinal);
    private readonly List<string> _violations = [];
    private readonly List<WorkStep> _steps = [];

    /// <summary>The work function for member <paramref name="owner"/>: holds its items until cancelled, then takes <paramref name="stopDelay"/> to stop.</summary>
    public Func<IReadOnlyList<string>, CancellationToken, Task> Work(string owner, TimeSpan stopDelay) =>
        async (items, cancellationToken) =>
        {
            Begin(owner, items);
            try
            {
                await HoldAsync(stopDelay, cancellationToken);
            }
            finally
            {
                End(owner, items);
            }
        };

    /// <summary>
    /// The per-item work for member <paramref name="owner"/>: holds its item until told to stop, then takes
    /// <paramref name="stopDelay"/> to stop; its start and its stop (with the reason) are kept in <see cref="Steps"/>.
    /// </summary>
    public Func<ItemWork, Task> ItemWork(string owner, TimeSpan stopDelay) =>
        async work =>
        {
            Begin(owner, [work.Item]);
            Record(new WorkStep(owner, work.Item, work.FencingToken, WorkStepKind.Started, null));
            try
            {
                await HoldAsync(stopDelay, work.Stopping);
            }
            finally
            {
                Record(new WorkStep(owner, work.Item, work.FencingToken, WorkStepKind.Stopped, work.StopReason));
                End(owner, [work.Item]);
            }
        };

    /// <summary>Keeps <paramref name="member"/>'s <see cref="SetPartitioner.ItemOwnershipChanged"/> events in <see cref="Steps"/>.</summary>
    public void Listen(SetPartitioner member)
    {
        var owner = member.Config.Identifier;
        member.ItemOwnershipChanged += (_, change) =>
            Record(new WorkStep(owner, change.Item, change.FencingToken, WorkStepKind.Changed, null) { Change = change.Change });
    }

    /// <summary>Who is working on what now.</summary>
    public IReadOnlyDictionary<string, string> Snapshot()
    {
        lock (_gate)
        {
            return new Dictionary<string, string>(_workingOn, StringComparer.Ordinal);
        }
    }

    /// <summary>Every step kept so far, in the order they happened.</summary>
    public IReadOnlyList<WorkStep> Steps
    {
        get
        {
            lock (_gate)
            {
                return [.. _steps];
            }
        }
    }

    public void AssertNoOverlap()
    {
        lock (_gate)
        {
            Assert.True(_violations.Count == 0, string.Join(" | ", _violations.Take(5)));
        }
    }

    private static async Task HoldAsync(TimeSpan stopDelay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await Task.Delay(stopDelay, CancellationToken.None);
        }
    }

    private void Record(WorkStep step)
    {
        lock (_gate)
        {
            _steps.Add(step);
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

/// <summary>What a <see cref="WorkStep"/> records.</summary>
internal enum WorkStepKind
{
    /// <summary>The item's work started.</summary>
    Started,

    /// <summary>The item's work returned, told to stop for <see cref="WorkStep.Reason"/>.</summary>
    Stopped,

    /// <summary>The member raised <see cref="SetPartitioner.ItemOwnershipChanged"/> for the item (<see cref="WorkStep.Change"/>).</summary>
    Changed,
}

/// <summary>One thing that happened to one item's work at one member, with the fencing token of that ownership.</summary>
internal sealed record WorkStep(string Owner, string Item, long Token, WorkStepKind Kind, ItemStopReason? Reason)
{
    /// <summary>For <see cref="WorkStepKind.Changed"/>: the change raised.</summary>
    public ItemOwnershipChange? Change { get; init; }

    public override string ToString() =>
        $"{Owner} {Item}@{Token} {Kind}{(Reason is { } reason ? " " + reason : "")}{(Change is { } change ? " " + change : "")}";
}
