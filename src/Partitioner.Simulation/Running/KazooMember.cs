using System.Runtime.ExceptionServices;
using Partitioner.Simulation.Kazoo;
using Partitioner.Simulation.Network;

namespace Partitioner.Simulation.Running;

/// <summary>
/// A member that behaves as a kazoo SetPartitioner does on the wire (<see cref="KazooPartitioner"/>), driven by
/// kazoo's documented consumer loop: in RELEASE it stops work after its release delay and calls
/// <c>release_set</c>; in FAILURE it makes a new session and a new partitioner, as a kazoo user must; on leave it
/// calls <c>finish</c> and closes the session. Its client drops its watches on a disconnect, firing each
/// (kazoo's watch handling). It writes nothing to the fenced store: kazoo has no fencing token.
/// </summary>
internal sealed class KazooMember : SimMember
{
    private readonly SimRandom _random;
    private int _partitioners;

    public KazooMember(SimCluster cluster, string slot, int generation)
        : base(cluster, slot, generation) => _random = cluster.Random.Fork();

    public KazooPartitioner? Partitioner { get; private set; }

    /// <inheritdoc />
    public override bool IsKazoo => true;

    /// <summary>
    /// kazoo's iteration while ACQUIRED, less the items whose lock it does not hold (an ignored False return, or a lock
    /// another of its allocations released): kazoo claims those with no lock, and they are left out of the checks.
    /// </summary>
    /// <remarks>A leaving member's consumer has stopped its work before it calls <c>finish</c>, so it claims nothing then.</remarks>
    public override IReadOnlyList<string> Owned => Process.Crashed || Leaving || Partitioner is not { State: KazooState.Acquired } p
        ? Array.Empty<string>()
        : p.PartitionSet.All(p.Holds) ? p.PartitionSet : p.PartitionSet.Where(p.Holds).ToArray();

    /// <summary>
    /// The items of kazoo's iteration while ACQUIRED that <see cref="Owned"/> leaves out because it holds no lock for them:
    /// kazoo works on them all the same, until its next state change. Empty when <see cref="Owned"/> is empty for another
    /// reason (crashed, leaving, not ACQUIRED).
    /// </summary>
    public IReadOnlyList<string> Lockless => Process.Crashed || Leaving || Partitioner is not { State: KazooState.Acquired } p
        ? Array.Empty<string>()
        : p.PartitionSet.Where(i => !p.Holds(i)).ToArray();

    /// <inheritdoc />
    public override bool IsAcquired => Partitioner is { State: KazooState.Acquired };

    /// <inheritdoc />
    public override bool NotAwaited => Partitioner is { AllocationDied: true, State: KazooState.Allocating };

    /// <inheritdoc />
    public override object? PartitionerObject => Partitioner;

    /// <inheritdoc />
    public override long StateId => Partitioner?.StateId ?? -1;

    /// <inheritdoc />
    public override string? PrefixFor(string item) => Partitioner?.PrefixFor(item);

    /// <inheritdoc />
    public override object? PrefixVersion => (Partitioner, Partitioner?.PrefixesVersion);

    /// <inheritdoc />
    public override string Describe() => Partitioner is { } p
        ? $"kazoo {p.State.ToString().ToUpperInvariant()}{(p.AllocationDied ? " (allocation died)" : "")}, session {Session?.State}"
        : $"kazoo, no partitioner yet, session {Session?.State}";

    /// <inheritdoc />
    public override void Start() => OpenSession();

    /// <inheritdoc />
    public override void Crash()
    {
        Process.Crash();
        Session?.OnCrash();
    }

    /// <inheritdoc />
    public override void Leave()
    {
        Leaving = true;
        Cluster.Scheduler.Schedule(TimeSpan.Zero, () => Spawn(LeaveAsync()), Process);
    }

    private async Task LeaveAsync()
    {
        if (Partitioner is { } partitioner)
        {
            await partitioner.FinishAsync();
        }

        Session?.Close();
    }

    private void OpenSession()
    {
        // kazoo fires and forgets every watch on a disconnect.
        var session = new SimulatedClientPort(Cluster.Network, Process, Clock, Cluster.Scenario.SessionTimeout, WatchReconnectMode.FireDisconnected)
        {
            Trace = Cluster.Trace.Detail,
        };
        session.SessionChanged += change => Cluster.Trace.Timeline($"{Name} session {change}");
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
        var runtime = new KazooRuntime(session, Sleep, Clock.GetTimestamp, _random, Cluster.Trace.Timeline);
        var partitioner = new KazooPartitioner(
            runtime, SimCluster.PartyPath, Cluster.Items, Slot, Cluster.Scenario.TimeBoundary, Cluster.Scenario.MaxReactionTime, Spawn);
        partitioner.StateChanged += (old, state) => OnStateChanged(partitioner, old, state);
        Partitioner = partitioner;
        Cluster.Trace.Timeline($"{Name} kazoo partitioner {index} started (session 0x{session.SessionId:x})");
        Spawn(partitioner.StartAsync());
    }

    private void OnStateChanged(KazooPartitioner partitioner, KazooState old, KazooState state)
    {
        var line = $"{Name} {Upper(old)} -> {Upper(state)} (kazoo state id {partitioner.StateId})";
        if (state == KazooState.Acquired)
        {
            line += " owns " + ItemList(partitioner.PartitionSet);
        }

        Cluster.Trace.Timeline(line);
        switch (state)
        {
            case KazooState.Release:
                Cluster.Scheduler.Schedule(_random.Between(TimeSpan.Zero, ReleaseDelayMax), () =>
                {
                    if (ReferenceEquals(partitioner, Partitioner) && partitioner.State == KazooState.Release)
                    {
                        Spawn(partitioner.ReleaseSetAsync());
                    }
                }, Process);
                break;
            case KazooState.Failure when !Leaving:
                Cluster.Scheduler.Schedule(_random.Between(TimeSpan.Zero, Cluster.Scenario.MaxReactionTime), () => Recreate(partitioner), Process);
                break;
        }
    }

    private void Recreate(KazooPartitioner failed)
    {
        if (!ReferenceEquals(failed, Partitioner) || Leaving)
        {
            return;
        }

        Partitioner = null;
        Session?.Close();
        Cluster.Trace.Timeline($"{Name} recreates its kazoo partitioner with a new session");
        OpenSession();
    }

    /// <summary>Sleeps on the member's clock (its rate, and late-timer faults), in its process.</summary>
    private Task Sleep(TimeSpan span)
    {
        var done = new TaskCompletionSource();
        var late = Clock.Lateness?.Invoke() ?? TimeSpan.Zero;
        Cluster.Scheduler.Schedule(Clock.ToTrue(span) + late, () => done.TrySetResult(), Process);
        return done.Task;
    }

    /// <summary>Runs a flow of the model; an exception that escapes it is a bug of the model, and ends the run as a crash.</summary>
    private void Spawn(Task flow) => _ = flow.ContinueWith(
        t =>
        {
            if (t.Exception is { } error)
            {
                Cluster.Scheduler.Schedule(TimeSpan.Zero, () => ExceptionDispatchInfo.Throw(error.InnerException ?? error));
            }
        },
        CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private static string Upper(KazooState state) => state.ToString().ToUpperInvariant();

    private static string ItemList(IReadOnlyList<string> items) =>
        items.Count <= 12 ? $"[{string.Join(", ", items)}]" : $"[{string.Join(", ", items.Take(10))}, ... {items.Count} items]";
}
