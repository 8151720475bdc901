using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Simulation.Kazoo;

/// <summary>kazoo's partition states.</summary>
internal enum KazooState
{
    Allocating,
    Acquired,
    Release,
    Failure,
}

/// <summary>
/// A model of kazoo's SetPartitioner on the wire, written from its documented behaviour (the reference notes, not
/// its code), so that simulated parties can mix C# members with kazoo ones:
/// <list type="bullet">
/// <item>Start: ensure <c>P</c>, <c>P/locks</c>, <c>P/party</c>; join with an ephemeral <c>P/party/&lt;uuid hex&gt;-&lt;ID&gt;</c>
/// holding the identifier; then a patient children watch of the party (list it with a watch, sleep the time
/// boundary, list again if anything changed during the sleep; the sleep does not restart on a change).</item>
/// <item>Allocation: only in ALLOCATING; the party is listed again, members are the names after their first '-',
/// sorted, and this member's share is every n-th item from its index. Its identifier missing from the list raises
/// ValueError in the allocation thread, which dies and leaves the member in ALLOCATING. Items are locked one at a
/// time, each with a new Lock (its own prefix) and <c>acquire(timeout=max_reaction_time)</c>, whose return value is
/// ignored: a False return (retries past the deadline) counts the item as held. After each lock, and on each
/// LockTimeout, <c>abort_if_needed</c>: the state id moved (a connection change) means RELEASE, keeping the locks;
/// a party change means release them and start a new watch. All held with nothing changed: ACQUIRED.</item>
/// <item>A party change while ACQUIRED means RELEASE; any connection-state change (SUSPENDED or CONNECTED) means
/// RELEASE unless already there; a lost session (or <c>finish</c>, or an unexpected error while locking) means
/// FAILURE, which leaves the party and is terminal.</item>
/// <item><c>release_set</c> deletes the held locks (under the client's retry), then goes to ALLOCATING with a new
/// watch; a lock it cannot delete means FAILURE. Rebalancing is stop-the-world: every party change releases every
/// lock and locks again.</item>
/// </list>
/// Every call runs in the member's process; the model's "threads" are its async flows.
/// </summary>
internal sealed class KazooPartitioner
{
    private readonly KazooRuntime _runtime;
    private readonly string _path;
    private readonly ImmutableArray<string> _items;
    private readonly TimeSpan _timeBoundary;
    private readonly TimeSpan _maxReactionTime;
    private readonly Action<Task> _spawn;
    private readonly List<KazooLock> _locks = new();
    private ImmutableDictionary<string, KazooLock> _acquiredLocks = ImmutableDictionary.Create<string, KazooLock>(StringComparer.Ordinal);
    private string? _partyNode;
    private bool _participating;

    public KazooPartitioner(KazooRuntime runtime, string path, ImmutableArray<string> items, string identifier, TimeSpan timeBoundary, TimeSpan maxReactionTime, Action<Task> spawn)
    {
        _runtime = runtime;
        _path = path;
        _items = items;
        Identifier = identifier;
        _timeBoundary = timeBoundary;
        _maxReactionTime = maxReactionTime;
        _spawn = spawn;
    }

    /// <summary>Raised on each state change, with the old and the new state.</summary>
    public event Action<KazooState, KazooState>? StateChanged;

    public string Identifier { get; }

    public KazooState State { get; private set; } = KazooState.Allocating;

    public long StateId { get; private set; }

    /// <summary>The last set acquired (kazoo's iteration; stale outside ACQUIRED).</summary>
    public ImmutableArray<string> PartitionSet { get; private set; } = ImmutableArray<string>.Empty;

    /// <summary>Items of the partition set counted as held though their acquire returned False (no lock node).</summary>
    public ImmutableHashSet<string> Unlocked { get; private set; } = ImmutableHashSet.Create<string>(StringComparer.Ordinal);

    /// <summary>True once the allocation died of a ValueError (its identifier not in the party): it stays ALLOCATING.</summary>
    public bool AllocationDied { get; private set; }

    /// <summary>Moves whenever <see cref="PrefixFor"/> may answer differently.</summary>
    public int PrefixesVersion { get; private set; }

    /// <summary>
    /// The prefix of the lock by which the allocation that reached ACQUIRED holds <paramref name="item"/>. Two allocations
    /// can run at once (a watch that outlived a release_set, as in kazoo), so each keeps its own.
    /// </summary>
    public string? PrefixFor(string item) => _acquiredLocks.GetValueOrDefault(item)?.Prefix;

    /// <summary>
    /// True while the lock by which the ACQUIRED allocation took <paramref name="item"/> is held and no release of it has
    /// begun. It may not be: an acquire that returned False, or a lock that another allocation's abort releases (both
    /// share kazoo's <c>_locks</c>), leaves kazoo claiming the item with no lock; such items are left out of its checked
    /// claims. The release counts from its start, since the server may carry out the delete before the ACQUIRED
    /// allocation's last step and the client reads the reply only later.
    /// </summary>
    public bool Holds(string item) => _acquiredLocks.TryGetValue(item, out var held) && held.IsAcquired && !held.Releasing;

    /// <summary>The constructor's work: paths, the party, the session listener and the first watch.</summary>
    public async Task StartAsync()
    {
        try
        {
            await _runtime.EnsurePathAsync(_path);
            await _runtime.EnsurePathAsync(_path + "/locks");
            await _runtime.EnsurePathAsync(_path + "/party");
            _partyNode = _runtime.Random.NextHex32() + "-" + Identifier;
            await _runtime.Retry(async () =>
            {
                var created = await _runtime.Session.CreateAsync(_path + "/party/" + _partyNode, Encoding.UTF8.GetBytes(Identifier), NodeKind.Ephemeral);
                return KazooRuntime.Check(created.Error, "create party node", ZooKeeperError.NodeExists);
            });
            _participating = true;
            _runtime.Session.SessionChanged += OnSessionChange;
        }
        catch (KazooException)
        {
            // The constructor raised: the user gets no partitioner. Modelled as a failure, which the consumer recreates.
            await FailOutAsync();
            return;
        }

        _spawn(WatchThenAllocateAsync());
    }

    /// <summary>kazoo's <c>release_set()</c>.</summary>
    public async Task ReleaseSetAsync()
    {
        await ReleaseLocksAsync();
        if (_locks.Count > 0)
        {
            await FailOutAsync();
            return;
        }

        if (State != KazooState.Failure)
        {
            SetState(KazooState.Allocating);
            _spawn(WatchThenAllocateAsync());
        }
    }

    /// <summary>kazoo's <c>finish()</c>: release the locks, then fail out (leave the party).</summary>
    public async Task FinishAsync()
    {
        await ReleaseLocksAsync();
        await FailOutAsync();
    }

    private void OnSessionChange(SessionChange change)
    {
        if (State == KazooState.Failure)
        {
            return;
        }

        if (change is SessionChange.Expired or SessionChange.AuthFailed)
        {
            _runtime.Session.SessionChanged -= OnSessionChange;
            _spawn(FailOutAsync());
        }
        else if (State != KazooState.Release)
        {
            SetState(KazooState.Release);
        }
    }

    private void SetState(KazooState state)
    {
        var old = State;
        State = state;
        StateId++;
        StateChanged?.Invoke(old, state);
    }

    /// <summary>The patient children watch; then the allocation with the watch of its last listing.</summary>
    private async Task WatchThenAllocateAsync()
    {
        Task partyChanged;
        try
        {
            partyChanged = await PatientWatchAsync();
        }
        catch (KazooException)
        {
            await FailOutAsync();
            return;
        }

        await AllocateAsync(partyChanged);
    }

    private async Task<Task> PatientWatchAsync()
    {
        bool changed = false;
        while (true)
        {
            var fired = new TaskCompletionSource();
            await _runtime.Retry(() => _runtime.GetChildrenAsync(_path + "/party", _ =>
            {
                changed = true;
                fired.TrySetResult();
            }));
            await _runtime.Sleep(_timeBoundary);
            if (changed)
            {
                changed = false;
                continue;
            }

            return fired.Task;
        }
    }

    private async Task AllocateAsync(Task partyChanged)
    {
        if (State != KazooState.Allocating)
        {
            return;
        }

        long stateId = StateId;
        bool childrenChanged = false;
        _ = partyChanged.ContinueWith(
            _ =>
            {
                childrenChanged = true;
                if (State == KazooState.Acquired)
                {
                    SetState(KazooState.Release);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        IReadOnlyList<string> children;
        try
        {
            children = await _runtime.Retry(() => _runtime.GetChildrenAsync(_path + "/party"));
        }
        catch (KazooException e)
        {
            // Raised in the spawned allocation, where nothing catches it: the allocation ends there.
            _runtime.Timeline($"{Identifier} (kazoo) allocation ends on an uncaught error listing the party ({e.Code})");
            return;
        }

        var members = children.Select(c => c[(c.IndexOf('-', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal).ToArray();
        int index = Array.IndexOf(members, Identifier);
        if (index < 0)
        {
            AllocationDied = true;
            _runtime.Timeline($"{Identifier} (kazoo) allocation dies of a ValueError: its identifier is not in the party; it stays ALLOCATING");
            return;
        }

        var share = _items.Where((_, i) => i % members.Length == index).ToImmutableArray();
        var unlocked = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var mine = ImmutableDictionary.CreateBuilder<string, KazooLock>(StringComparer.Ordinal);
        foreach (var item in share)
        {
            var itemLock = new KazooLock(_runtime, $"{_path}/locks/{item}", Identifier);
            mine[item] = itemLock;
            while (true)
            {
                try
                {
                    // kazoo ignores the result: an acquire that returned False counts as held.
                    if (!await itemLock.AcquireAsync(_maxReactionTime))
                    {
                        unlocked.Add(item);
                    }
                }
                catch (LockTimeoutException)
                {
                    if (await AbortIfNeededAsync(stateId, () => childrenChanged))
                    {
                        return;
                    }

                    continue;
                }
                catch (KazooException)
                {
                    await FinishAsync();
                    return;
                }

                break;
            }

            _locks.Add(itemLock);
            if (await AbortIfNeededAsync(stateId, () => childrenChanged))
            {
                return;
            }
        }

        if (StateId == stateId && !childrenChanged)
        {
            PartitionSet = share;
            Unlocked = unlocked.ToImmutable();
            _acquiredLocks = mine.ToImmutable();
            PrefixesVersion++;
            if (Unlocked.Count > 0)
            {
                _runtime.Timeline($"{Identifier} (kazoo) counts {Unlocked.Count} items as held whose acquire returned False: [{string.Join(", ", Unlocked.Order(StringComparer.Ordinal))}]");
            }

            SetState(KazooState.Acquired);
        }
        else if (!await AbortIfNeededAsync(stateId, () => childrenChanged))
        {
            await FailOutAsync();
        }
    }

    private async Task<bool> AbortIfNeededAsync(long stateId, Func<bool> childrenChanged)
    {
        if (StateId == stateId)
        {
            if (childrenChanged())
            {
                await AbortLockAcquisitionAsync();
                return true;
            }

            return false;
        }

        if (State is KazooState.Allocating or KazooState.Acquired)
        {
            SetState(KazooState.Release);
        }

        return true;
    }

    private async Task AbortLockAcquisitionAsync()
    {
        await ReleaseLocksAsync();
        if (_locks.Count > 0)
        {
            await FailOutAsync();
            return;
        }

        if (State != KazooState.Failure)
        {
            _spawn(WatchThenAllocateAsync());
        }
    }

    private async Task ReleaseLocksAsync()
    {
        foreach (var held in _locks.ToArray())
        {
            try
            {
                await held.ReleaseAsync();
                _locks.Remove(held);
            }
            catch (KazooException)
            {
                // Kept: release_set or finish then fails out.
            }
        }

    }

    private async Task FailOutAsync()
    {
        if (State != KazooState.Failure)
        {
            SetState(KazooState.Failure);
        }

        _runtime.Session.SessionChanged -= OnSessionChange;
        if (_participating && _partyNode is not null)
        {
            _participating = false;
            try
            {
                await _runtime.Retry(async () =>
                    KazooRuntime.Check(await _runtime.Session.DeleteAsync(_path + "/party/" + _partyNode), "delete party node", ZooKeeperError.NoNode));
            }
            catch (KazooException)
            {
                // The session is gone, and its ephemeral party node with it.
            }
        }
    }
}
