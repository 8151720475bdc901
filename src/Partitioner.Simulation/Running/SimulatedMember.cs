using System.Globalization;
using Partitioner.Core;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Scheduling;
using Partitioner.ZooKeeper;

namespace Partitioner.Simulation.Running;

/// <summary>
/// One member: a process holding a ZooKeeper session and a real <see cref="SetPartitioner"/>, driven by
/// a consumer that follows the standard loop. On Acquired it works on its share; on Release it stops
/// after its release delay (a slow consumer's is long) and releases; on Failure it does what a user
/// would: it disposes the partitioner, closes the session and creates both anew. Each partitioner's
/// consumer is drawn from the seed: either one that reacts to <see cref="SetPartitioner.StateChanged"/>
/// and calls ReleaseSetAsync itself, or (with <see cref="SimulationOptions.RunLoopConsumers"/>) the shell's own
/// convenience loop <see cref="SetPartitioner.RunAsync"/> with work that stops after the release delay once
/// the member has left Acquired.
/// <para>A cooperative member (<see cref="Scenario.Rebalance"/>) works item by item instead: either through
/// <see cref="SetPartitioner.RunItemsAsync"/>, one work per item that stops after the release delay once that item is
/// revoked or lost, or through <see cref="SetPartitioner.ItemOwnershipChanged"/>, starting an item's work when it is
/// assigned and stopping it inside the handler when it is revoked or lost. Each stop is judged by the
/// <see cref="Checks.HandOffChecker"/> at the instant the member is told of it.</para>
/// </summary>
internal sealed class SimulatedMember : SimMember
{
    /// <summary>The longest gap between two writes of a consumer's work to the fenced store.</summary>
    private static readonly TimeSpan WriteIntervalMax = TimeSpan.FromMilliseconds(400);

    private readonly SimCluster _cluster;
    private readonly Dictionary<string, ItemRun> _itemRuns = new(StringComparer.Ordinal);

    // The running items in the order they began, so that the writes pick among them the same way in every process.
    private readonly List<ItemRun> _itemRunOrder = new();
    private bool _itemWriteScheduled;
    private bool _releaseAsked;
    private WorkRun? _currentRun;
    private int _partitioners;
    private TaskCompletionSource? _currentWork;
    private CancellationTokenSource? _runLoopCancellation;
    private Task? _runLoop;

    public SimulatedMember(SimCluster cluster, string slot, int generation)
        : base(cluster, slot, generation)
    {
        _cluster = cluster;
        Mode = ModeOf(cluster.Scenario.Rebalance, slot);
    }

    /// <summary>
    /// This member's mode, the same for every partitioner it creates (a misconfigured deployment stays misconfigured):
    /// in a mixed party, members of even slot number are cooperative and the others eager.
    /// </summary>
    public RebalanceMode Mode { get; }

    /// <summary>The member stopped for good on finding its party misconfigured (a mixed party's cooperative member).</summary>
    public bool StoppedByMismatch { get; private set; }

    /// <inheritdoc />
    public override bool NotAwaited => StoppedByMismatch;


    public SetPartitioner? Partitioner { get; private set; }

    /// <summary>The contender prefix of the current partitioner.</summary>
    public string? ContenderPrefix { get; private set; }

    /// <inheritdoc />
    public override bool IsKazoo => false;

    /// <summary>The items this member may work on now, as the partitioner reports them (stale-safe).</summary>
    public override IReadOnlyList<string> Owned => Process.Crashed || Partitioner is null ? Array.Empty<string>() : Partitioner.AcquiredItems;

    /// <inheritdoc />
    public override bool IsAcquired => Partitioner is { State: PartitionState.Acquired } p && p.Acquired;

    /// <inheritdoc />
    public override object? PartitionerObject => Partitioner;

    /// <inheritdoc />
    public override long StateId => Partitioner?.StateId ?? -1;

    /// <inheritdoc />
    public override string? PrefixFor(string item) => ContenderPrefix;

    /// <inheritdoc />
    public override object? PrefixVersion => ContenderPrefix;

    /// <inheritdoc />
    public override string Describe() => Partitioner is { } p
        ? $"{p.State}, session {Session?.State}"
        : $"no partitioner yet, session {Session?.State}";

    public override void Start() => OpenSession();

    /// <inheritdoc />
    public override void Crash()
    {
        StopWork();
        Process.Crash();
        Session?.OnCrash();
    }

    /// <inheritdoc />
    public override void Leave()
    {
        Leaving = true;

        // Through the process, so that a paused member leaves only once it runs again.
        _cluster.Scheduler.Schedule(TimeSpan.Zero, () => _ = LeaveAsync(), Process);
    }

    private async Task LeaveAsync()
    {
        if (_runLoopCancellation is { } loop)
        {
            // The convenience loop finishes the member itself once its token is cancelled and the work returned.
            // Cancel, not CancelAsync: the callbacks must run here, on the simulation's thread.
            loop.Cancel();
            StopWork();
            _currentWork?.TrySetResult();
            await _runLoop!.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else if (Partitioner is { } partitioner)
        {
            await partitioner.FinishAsync();
        }

        Session?.Close();
    }

    private void OpenSession()
    {
        var session = new SimulatedClientPort(_cluster.Network, Process, Clock, _cluster.Scenario.SessionTimeout, _cluster.Scenario.WatchMode)
        {
            Trace = _cluster.Trace.Detail,
            Transients = _cluster.Transients,
        };
        session.SessionChanged += change => _cluster.Trace.Timeline($"{Name} session {change}");
        Session = session;
        session.Start(() => CreatePartitioner(session));
    }

    private void CreatePartitioner(SimulatedClientPort session)
    {
        if (Leaving)
        {
            session.Close();
            return;
        }

        int index = _partitioners++;
        ContenderPrefix = _cluster.Random.NextHex32();
        var options = new SetPartitionerOptions
        {
            Identifier = Slot,
            TimeBoundary = _cluster.Scenario.TimeBoundary,
            MaxReactionTime = _cluster.Scenario.MaxReactionTime,
            TimeProvider = Clock,
            // The model's tickTime, as a careful operator would give it: the relay allowance of the claims.
            ServerTickTime = _cluster.Server.TickTime,
            ContenderPrefix = ContenderPrefix,
            EventLog = EventLogFor(index),
            Rebalance = Mode,
        };
        if (Mode == RebalanceMode.Cooperative)
        {
            options.PartitionFunction = _cluster.Options.CooperativeFunctionOverride ?? PartitionFunctions.Sticky;
            options.PartitionFunctionName = "sticky";
        }

        var decide = _cluster.Options.DecideOverride;
        var partitioner = decide is null
            ? new SetPartitioner(session, SimCluster.PartyPath, _cluster.Items, options)
            : new SetPartitioner(session, SimCluster.PartyPath, _cluster.Items, options, new DeciderFunctions(Decider.Start, decide));
        partitioner.StateChanged += (_, change) => OnStateChanged(partitioner, change);
        partitioner.ItemOwnershipChanged += (_, change) => OnItemOwnershipChanged(partitioner, change);
        Partitioner = partitioner;
        bool runLoop = _cluster.Random.Chance(0.5) && _cluster.Options.RunLoopConsumers;
        string consumer = (runLoop, Mode) switch
        {
            (true, RebalanceMode.Cooperative) => "RunItemsAsync",
            (true, _) => "RunAsync",
            (false, RebalanceMode.Cooperative) => "ItemOwnershipChanged",
            _ => "StateChanged",
        };
        string mode = _cluster.Scenario.Rebalance == PartyRebalance.Eager ? string.Empty : $", {Mode.ToString().ToLowerInvariant()}";
        _cluster.Trace.Timeline($"{Name} partitioner {index} started (session 0x{session.SessionId:x}, consumer: {consumer}{mode})");
        _runLoopCancellation = null;
        if (runLoop)
        {
            StartRunLoop(partitioner);
        }
    }

    private void StartRunLoop(SetPartitioner partitioner)
    {
        var cancellation = new CancellationTokenSource();
        _runLoopCancellation = cancellation;

        // A failed member ends the loop with PartitionerFailedException; the StateChanged handler recreates it.
        _runLoop = Mode == RebalanceMode.Cooperative
            ? partitioner.RunItemsAsync(work => StartItemWork(partitioner, work), cancellation.Token)
            : partitioner.RunWithTokensAsync(StartWork, cancellation.Token);
    }

    /// <summary>
    /// One item's work under <see cref="SetPartitioner.RunItemsAsync"/>: it writes until the item is revoked or lost,
    /// then finishes the step it is in (up to the release delay) and returns, which lets the shell give the item up.
    /// </summary>
    private Task StartItemWork(SetPartitioner partitioner, ItemWork work)
    {
        var done = new TaskCompletionSource();
        var run = StartItem(work.Item, work.FencingToken);

        // The loop cancels on the simulation's thread, so the callback runs here, at the instant the shell decides the stop.
        work.Stopping.Register(() =>
        {
            Judge(partitioner, work.Item, work.StopReason, run);
            _cluster.Scheduler.Schedule(_cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
            {
                StopItem(run, straggle: true);
                done.TrySetResult();
            }, Process);
        });
        return done.Task;
    }

    /// <summary>The ItemOwnershipChanged consumer of a cooperative member, and the ownership version of every member.</summary>
    private void OnItemOwnershipChanged(SetPartitioner partitioner, ItemOwnershipChangedEventArgs change)
    {
        if (!ReferenceEquals(partitioner, Partitioner))
        {
            return;
        }

        _cluster.Trace.Detail($"{Name} item {change.Item} {change.Change} (token {change.FencingToken})");
        if (Mode != RebalanceMode.Cooperative || _runLoopCancellation is not null)
        {
            return;
        }

        if (change.Change == ItemOwnershipChange.Assigned)
        {
            StartItem(change.Item, change.FencingToken);
            return;
        }

        // The handler is the consumer's last word on the item: its work stops here, before the shell gives the item up.
        var run = _itemRuns.GetValueOrDefault(change.Item);
        Judge(partitioner, change.Item, change.Change == ItemOwnershipChange.Revoked ? ItemStopReason.Revoked : ItemStopReason.Lost, run);
        if (run is not null)
        {
            StopItem(run, straggle: true);
        }

        // Lost while still Acquired: the claim window closed. Core still holds the items, which come back only with new
        // tokens after a release, so the consumer releases, as RunItemsAsync does itself (once for all the items lost).
        if (change.Change == ItemOwnershipChange.Lost && partitioner.State == PartitionState.Acquired && !_releaseAsked)
        {
            _releaseAsked = true;
            _cluster.Scheduler.Schedule(_cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
            {
                _releaseAsked = false;
                if (ReferenceEquals(partitioner, Partitioner) && partitioner.State == PartitionState.Acquired)
                {
                    _cluster.Trace.Timeline($"{Name} releases: its claim window closed");
                    _ = partitioner.ReleaseSetAsync();
                }
            }, Process);
        }
    }

    /// <summary>Hands a stop to the checks, at the instant the member is told of it.</summary>
    private void Judge(SetPartitioner partitioner, string item, ItemStopReason reason, ItemRun? run)
    {
        if (_cluster.HandOffs is not { } handOffs)
        {
            return;
        }

        var now = _cluster.Scheduler.Now;
        if (reason == ItemStopReason.Revoked)
        {
            handOffs.OnRevoked(Name, Slot, item, run?.StartedAt ?? now, now);
        }
        else
        {
            bool claimed = !Leaving && ReferenceEquals(partitioner, Partitioner) && partitioner.Acquired && partitioner.AcquiredItems.Contains(item);
            handOffs.OnLost(Name, item, claimed, $"{reason}, {partitioner.State}, claim {partitioner.ClaimRemaining.TotalMilliseconds:0} ms left", now);
        }
    }

    /// <summary>An item's work begins: registered with the fenced store under its token, then written to every so often.</summary>
    private ItemRun StartItem(string item, long token)
    {
        if (_itemRuns.TryGetValue(item, out var old))
        {
            StopItem(old);
        }

        var run = new ItemRun(item, token, Session?.SessionId ?? 0, _cluster.Scheduler.Now);
        if (Session is null)
        {
            run.Stopped = true;
            return run;
        }

        _itemRuns[item] = run;
        _itemRunOrder.Add(run);
        _cluster.HandOffs?.OnAssigned();
        _cluster.Store.WorkStarted(Name, item, run.StartedAt);
        _cluster.Store.Register(Name, run.Session, item, TokenOf(new OwnedItem(item, token)), run.StartedAt);
        if (!_itemWriteScheduled)
        {
            _itemWriteScheduled = true;
            ScheduleItemWrite();
        }

        return run;
    }

    private void ScheduleItemWrite() =>
        _cluster.Scheduler.Schedule(_cluster.StoreRandom.Between(TimeSpan.FromMilliseconds(1), WriteIntervalMax), () =>
        {
            if (_itemRunOrder.Count == 0)
            {
                _itemWriteScheduled = false;
                return;
            }

            var run = _itemRunOrder[_cluster.StoreRandom.Next(_itemRunOrder.Count)];
            _cluster.Store.Write(Name, run.Session, run.Item, TokenOf(new OwnedItem(run.Item, run.Token)), _cluster.Scheduler.Now);
            ScheduleItemWrite();
        }, Process);

    /// <summary>The longest a straggling write of a stopped item's work may arrive after the work returned.</summary>
    private static readonly TimeSpan StragglerDelayMax = TimeSpan.FromSeconds(2);

    /// <summary>
    /// An item's work stops (once; a later run of the same item is left alone). With <paramref name="straggle"/>, one
    /// in four stopped works has a write still on its way, which reaches the store up to
    /// <see cref="StragglerDelayMax"/> later with the token the work had, as a retried request or a buffered flush
    /// would: by then the item may have its next owner, whose higher token the store must hold against it.
    /// </summary>
    private void StopItem(ItemRun run, bool straggle = false)
    {
        if (run.Stopped)
        {
            return;
        }

        run.Stopped = true;
        _itemRunOrder.Remove(run);
        if (_itemRuns.TryGetValue(run.Item, out var current) && ReferenceEquals(current, run))
        {
            _itemRuns.Remove(run.Item);
        }

        _cluster.Store.WorkStopped(Name, run.Item, _cluster.Scheduler.Now);
        if (straggle && _cluster.StoreRandom.Chance(0.25))
        {
            _cluster.Scheduler.Schedule(_cluster.StoreRandom.Between(TimeSpan.Zero, StragglerDelayMax), () =>
            {
                _cluster.Trace.Detail($"{Name} straggling write of item {run.Item} with token {run.Token}");
                _cluster.Store.Write(Name, run.Session, run.Item, TokenOf(new OwnedItem(run.Item, run.Token)), _cluster.Scheduler.Now);
            }, Process);
        }
    }

    private Task StartWork(IReadOnlyList<OwnedItem> owned, CancellationToken token)
    {
        // The work ends after the release delay once the token is cancelled (the member left Acquired, or its
        // ownership deadline passed), or once OnStateChanged sees the member leave Acquired. The loop cancels with
        // Cancel on the simulation's thread, so the callback runs here.
        var work = new TaskCompletionSource();
        _currentWork = work;
        _cluster.Trace.Detail($"{Name} works on {owned.Count} items");
        BeginWork(owned);
        token.Register(() => FinishWorkLater(work));
        return work.Task;
    }

    /// <summary>The consumer finishes the step it is in, then its work returns: after up to the release delay.</summary>
    private void FinishWorkLater(TaskCompletionSource work) =>
        _cluster.Scheduler.Schedule(_cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
        {
            if (ReferenceEquals(_currentWork, work) || _currentWork is null)
            {
                StopWork();
            }

            work.TrySetResult();
        }, Process);

    /// <summary>
    /// The work on a newly acquired set begins: each item is registered with the fenced store under its token, then
    /// the work writes to a random item of the set every so often until it stops (a paused process writes when it
    /// wakes, with the token it had).
    /// </summary>
    private void BeginWork(IReadOnlyList<OwnedItem> owned)
    {
        StopWork();
        if (owned.Count == 0 || Session is not { } session)
        {
            return;
        }

        var run = new WorkRun([.. owned], session.SessionId);
        _currentRun = run;
        var now = _cluster.Scheduler.Now;
        foreach (var item in run.Items)
        {
            _cluster.Store.WorkStarted(Name, item.Name, now);
            _cluster.Store.Register(Name, run.Session, item.Name, TokenOf(item), now);
        }

        ScheduleWrite(run);
    }

    private void ScheduleWrite(WorkRun run) =>
        _cluster.Scheduler.Schedule(_cluster.StoreRandom.Between(TimeSpan.FromMilliseconds(1), WriteIntervalMax), () =>
        {
            if (run.Stopped)
            {
                return;
            }

            var item = run.Items[_cluster.StoreRandom.Next(run.Items.Length)];
            _cluster.Store.Write(Name, run.Session, item.Name, TokenOf(item), _cluster.Scheduler.Now);
            ScheduleWrite(run);
        }, Process);

    private void StopWork()
    {
        foreach (var item in _itemRunOrder.ToArray())
        {
            StopItem(item);
        }

        if (_currentRun is not { } run)
        {
            return;
        }

        _currentRun = null;
        run.Stopped = true;
        var now = _cluster.Scheduler.Now;
        foreach (var item in run.Items)
        {
            _cluster.Store.WorkStopped(Name, item.Name, now);
        }
    }

    private long TokenOf(OwnedItem item) => _cluster.Options.TokenOverride is { } broken ? broken(item) : item.FencingToken;

    private JsonLinesEventLogSink? EventLogFor(int index)
    {
        if (!_cluster.Options.RecordEventLogs)
        {
            return null;
        }

        var writer = new StringWriter(CultureInfo.InvariantCulture);
        _cluster.EventLogs[$"{Slot}.g{Generation}.p{index}.jsonl"] = writer;
        return new JsonLinesEventLogSink(writer, leaveOpen: true);
    }

    private void OnStateChanged(SetPartitioner partitioner, PartitionStateChangedEventArgs change)
    {
        var line = $"{Name} {change.OldState} -> {change.NewState} (state id {change.StateId})";
        if (change.NewState == PartitionState.Acquired)
        {
            line += " owns " + ItemList(partitioner.AcquiredItems);
            if (_runLoopCancellation is null && Mode == RebalanceMode.Eager)
            {
                BeginWork(partitioner.OwnedItems);
            }
        }
        else if (change.NewState == PartitionState.Failure)
        {
            line += ": " + partitioner.FailureReason;
        }

        _cluster.Trace.Timeline(line);
        if (_runLoopCancellation is not null && change.NewState != PartitionState.Acquired && _currentWork is { } work)
        {
            _currentWork = null;
            _cluster.Scheduler.Schedule(_cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
            {
                StopWork();
                work.TrySetResult();
            }, Process);
        }

        switch (change.NewState)
        {
            case PartitionState.Release when _runLoopCancellation is null:
                var delay = _cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax);
                _cluster.Scheduler.Schedule(delay, () => ReleaseIfStillAsked(partitioner), Process);
                break;
            case PartitionState.Failure when !Leaving && IsMismatch(partitioner.FailureReason):
                // A misconfigured deployment does not heal by restarting: the member stops, as its operator would have
                // it until the configuration is fixed, and the rest of the party goes on without it.
                StoppedByMismatch = true;
                _cluster.Trace.Timeline($"{Name} stops: its party is misconfigured");
                _cluster.Scheduler.Schedule(TimeSpan.Zero, () => StopForGood(partitioner), Process);
                break;
            case PartitionState.Failure when !Leaving:
                var recreate = _cluster.Random.Between(TimeSpan.Zero, _cluster.Scenario.MaxReactionTime);
                _cluster.Scheduler.Schedule(recreate, () => Recreate(partitioner), Process);
                break;
        }
    }

    private void ReleaseIfStillAsked(SetPartitioner partitioner)
    {
        // The standard loop: stop work, then release, if the partitioner still asks for it.
        StopWork();
        if (ReferenceEquals(partitioner, Partitioner) && partitioner.State == PartitionState.Release)
        {
            _ = partitioner.ReleaseSetAsync();
        }
    }

    /// <summary>True for the reason Core gives when a member of the path disagrees on the mode, the function or the items.</summary>
    private static bool IsMismatch(string? reason) =>
        reason is not null && reason.Contains("must agree on the rebalance mode", StringComparison.Ordinal);

    private void StopForGood(SetPartitioner failed)
    {
        StopWork();
        _ = failed.DisposeAsync().AsTask();
        Session?.Close();
    }

    private void Recreate(SetPartitioner failed)
    {
        if (!ReferenceEquals(failed, Partitioner) || Leaving)
        {
            return;
        }

        Partitioner = null;
        StopWork();
        _ = failed.DisposeAsync().AsTask();
        Session?.Close();
        _cluster.Trace.Timeline($"{Name} recreates its partitioner with a new session");
        OpenSession();
    }

    /// <summary>One item's work in cooperative mode: the item, its token, the session that took it and when it began.</summary>
    private sealed class ItemRun(string item, long token, long session, TimeSpan startedAt)
    {
        public string Item { get; } = item;

        public long Token { get; } = token;

        public long Session { get; } = session;

        public TimeSpan StartedAt { get; } = startedAt;

        public bool Stopped { get; set; }
    }

    /// <summary>One acquisition's work: the items with their tokens, in the session that took them.</summary>
    private sealed class WorkRun(OwnedItem[] items, long session)
    {
        public OwnedItem[] Items { get; } = items;

        public long Session { get; } = session;

        public bool Stopped { get; set; }
    }

    private static RebalanceMode ModeOf(PartyRebalance rebalance, string slot) => rebalance switch
    {
        PartyRebalance.Cooperative => RebalanceMode.Cooperative,
        PartyRebalance.Mixed => int.Parse(slot.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture) % 2 == 0
            ? RebalanceMode.Cooperative
            : RebalanceMode.Eager,
        _ => RebalanceMode.Eager,
    };

    private static string ItemList(IReadOnlyList<string> items) =>
        items.Count <= 12 ? $"[{string.Join(", ", items)}]" : $"[{string.Join(", ", items.Take(10))}, ... {items.Count} items]";
}
