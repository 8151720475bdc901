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
/// </summary>
internal sealed class SimulatedMember : SimMember
{
    /// <summary>The longest gap between two writes of a consumer's work to the fenced store.</summary>
    private static readonly TimeSpan WriteIntervalMax = TimeSpan.FromMilliseconds(400);

    private readonly SimCluster cluster;
    private WorkRun? currentRun;
    private int partitioners;
    private TaskCompletionSource? currentWork;
    private CancellationTokenSource? runLoopCancellation;
    private Task? runLoop;

    public SimulatedMember(SimCluster cluster, string slot, int generation)
        : base(cluster, slot, generation) => this.cluster = cluster;

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
        cluster.Scheduler.Schedule(TimeSpan.Zero, () => _ = LeaveAsync(), Process);
    }

    private async Task LeaveAsync()
    {
        if (runLoopCancellation is { } loop)
        {
            // The convenience loop finishes the member itself once its token is cancelled and the work returned.
            // Cancel, not CancelAsync: the callbacks must run here, on the simulation's thread.
            loop.Cancel();
            StopWork();
            currentWork?.TrySetResult();
            await runLoop!.ContinueWith(static _ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
        else if (Partitioner is { } partitioner)
        {
            await partitioner.FinishAsync();
        }

        Session?.Close();
    }

    private void OpenSession()
    {
        var session = new SimulatedClientPort(cluster.Network, Process, Clock, cluster.Scenario.SessionTimeout, cluster.Scenario.WatchMode)
        {
            Trace = cluster.Trace.Detail,
            Transients = cluster.Transients,
        };
        session.SessionChanged += change => cluster.Trace.Timeline($"{Name} session {change}");
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

        int index = partitioners++;
        ContenderPrefix = cluster.Random.NextHex32();
        var options = new SetPartitionerOptions
        {
            Identifier = Slot,
            TimeBoundary = cluster.Scenario.TimeBoundary,
            MaxReactionTime = cluster.Scenario.MaxReactionTime,
            TimeProvider = Clock,
            // The model's tickTime, as a careful operator would give it: the relay allowance of the claims.
            ServerTickTime = cluster.Server.TickTime,
            ContenderPrefix = ContenderPrefix,
            EventLog = EventLogFor(index),
        };
        var decide = cluster.Options.DecideOverride;
        var partitioner = decide is null
            ? new SetPartitioner(session, SimCluster.PartyPath, cluster.Items, options)
            : new SetPartitioner(session, SimCluster.PartyPath, cluster.Items, options, new DeciderFunctions(Decider.Start, decide));
        partitioner.StateChanged += (_, change) => OnStateChanged(partitioner, change);
        Partitioner = partitioner;
        bool runLoop = cluster.Random.Chance(0.5) && cluster.Options.RunLoopConsumers;
        cluster.Trace.Timeline($"{Name} partitioner {index} started (session 0x{session.SessionId:x}, consumer: {(runLoop ? "RunAsync" : "StateChanged")})");
        runLoopCancellation = null;
        if (runLoop)
        {
            StartRunLoop(partitioner);
        }
    }

    private void StartRunLoop(SetPartitioner partitioner)
    {
        var cancellation = new CancellationTokenSource();
        runLoopCancellation = cancellation;

        // A failed member ends the loop with PartitionerFailedException; the StateChanged handler recreates it.
        runLoop = partitioner.RunWithTokensAsync(StartWork, cancellation.Token);
    }

    private Task StartWork(IReadOnlyList<OwnedItem> owned, CancellationToken token)
    {
        // The work ends after the release delay once the token is cancelled (the member left Acquired, or its
        // ownership deadline passed), or once OnStateChanged sees the member leave Acquired. The loop cancels with
        // Cancel on the simulation's thread, so the callback runs here.
        var work = new TaskCompletionSource();
        currentWork = work;
        cluster.Trace.Detail($"{Name} works on {owned.Count} items");
        BeginWork(owned);
        token.Register(() => FinishWorkLater(work));
        return work.Task;
    }

    /// <summary>The consumer finishes the step it is in, then its work returns: after up to the release delay.</summary>
    private void FinishWorkLater(TaskCompletionSource work) =>
        cluster.Scheduler.Schedule(cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
        {
            if (ReferenceEquals(currentWork, work) || currentWork is null)
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
        currentRun = run;
        var now = cluster.Scheduler.Now;
        foreach (var item in run.Items)
        {
            cluster.Store.WorkStarted(Name, item.Name, now);
            cluster.Store.Register(Name, run.Session, item.Name, TokenOf(item), now);
        }

        ScheduleWrite(run);
    }

    private void ScheduleWrite(WorkRun run) =>
        cluster.Scheduler.Schedule(cluster.StoreRandom.Between(TimeSpan.FromMilliseconds(1), WriteIntervalMax), () =>
        {
            if (run.Stopped)
            {
                return;
            }

            var item = run.Items[cluster.StoreRandom.Next(run.Items.Length)];
            cluster.Store.Write(Name, run.Session, item.Name, TokenOf(item), cluster.Scheduler.Now);
            ScheduleWrite(run);
        }, Process);

    private void StopWork()
    {
        if (currentRun is not { } run)
        {
            return;
        }

        currentRun = null;
        run.Stopped = true;
        var now = cluster.Scheduler.Now;
        foreach (var item in run.Items)
        {
            cluster.Store.WorkStopped(Name, item.Name, now);
        }
    }

    private long TokenOf(OwnedItem item) => cluster.Options.TokenOverride is { } broken ? broken(item) : item.FencingToken;

    private JsonLinesEventLogSink? EventLogFor(int index)
    {
        if (!cluster.Options.RecordEventLogs)
        {
            return null;
        }

        var writer = new StringWriter(CultureInfo.InvariantCulture);
        cluster.EventLogs[$"{Slot}.g{Generation}.p{index}.jsonl"] = writer;
        return new JsonLinesEventLogSink(writer, leaveOpen: true);
    }

    private void OnStateChanged(SetPartitioner partitioner, PartitionStateChangedEventArgs change)
    {
        var line = $"{Name} {change.OldState} -> {change.NewState} (state id {change.StateId})";
        if (change.NewState == PartitionState.Acquired)
        {
            line += " owns " + ItemList(partitioner.AcquiredItems);
            if (runLoopCancellation is null)
            {
                BeginWork(partitioner.OwnedItems);
            }
        }
        else if (change.NewState == PartitionState.Failure)
        {
            line += ": " + partitioner.FailureReason;
        }

        cluster.Trace.Timeline(line);
        if (runLoopCancellation is not null && change.NewState != PartitionState.Acquired && currentWork is { } work)
        {
            currentWork = null;
            cluster.Scheduler.Schedule(cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
            {
                StopWork();
                work.TrySetResult();
            }, Process);
        }

        switch (change.NewState)
        {
            case PartitionState.Release when runLoopCancellation is null:
                var delay = cluster.Random.Between(TimeSpan.Zero, ReleaseDelayMax);
                cluster.Scheduler.Schedule(delay, () => ReleaseIfStillAsked(partitioner), Process);
                break;
            case PartitionState.Failure when !Leaving:
                var recreate = cluster.Random.Between(TimeSpan.Zero, cluster.Scenario.MaxReactionTime);
                cluster.Scheduler.Schedule(recreate, () => Recreate(partitioner), Process);
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
        cluster.Trace.Timeline($"{Name} recreates its partitioner with a new session");
        OpenSession();
    }

    /// <summary>One acquisition's work: the items with their tokens, in the session that took them.</summary>
    private sealed class WorkRun(OwnedItem[] items, long session)
    {
        public OwnedItem[] Items { get; } = items;

        public long Session { get; } = session;

        public bool Stopped { get; set; }
    }

    private static string ItemList(IReadOnlyList<string> items) =>
        items.Count <= 12 ? $"[{string.Join(", ", items)}]" : $"[{string.Join(", ", items.Take(10))}, ... {items.Count} items]";
}
