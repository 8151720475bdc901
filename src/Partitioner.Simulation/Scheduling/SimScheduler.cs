namespace Partitioner.Simulation.Scheduling;

/// <summary>A scheduled action; cancel it to make the scheduler skip it.</summary>
public sealed class ScheduledAction
{
    internal ScheduledAction(long dueTicks, long sequence, SimProcess? owner, Action run)
    {
        DueTicks = dueTicks;
        Sequence = sequence;
        Owner = owner;
        Run = run;
    }

    /// <summary>The virtual time at which the action runs, in ticks since the start of the run.</summary>
    public long DueTicks { get; }

    /// <summary>The order of scheduling; breaks ties between actions due at the same time.</summary>
    public long Sequence { get; }

    /// <summary>The process the action runs in, or null for the network and the server.</summary>
    public SimProcess? Owner { get; }

    /// <summary>True once cancelled; the scheduler drops it.</summary>
    public bool Cancelled { get; private set; }

    internal Action Run { get; }

    /// <summary>Makes the scheduler skip the action. Cancelling twice is harmless.</summary>
    public void Cancel() => Cancelled = true;
}

/// <summary>
/// The simulation's only engine: a priority queue of actions ordered by (virtual time, sequence),
/// run one at a time on the caller's thread. Nothing else advances time, so a run is a pure function
/// of its inputs and seed.
/// </summary>
public sealed class SimScheduler
{
    /// <summary>A bound on queued actions; more means a runaway loop in the model or the code under test.</summary>
    public const int QueuedActionsMax = 1_000_000;

    private readonly PriorityQueue<ScheduledAction, (long Due, long Sequence)> _queue = new();
    private readonly SimSynchronizationContext _sharedContext;
    private readonly int _threadId = Environment.CurrentManagedThreadId;
    private long _nextSequence;
    private string? _foreignThreadError;

    /// <summary>Creates a scheduler at virtual time zero, owned by the calling thread.</summary>
    public SimScheduler() => _sharedContext = new SimSynchronizationContext(this, null);

    /// <summary>Virtual time since the start of the run, in ticks.</summary>
    public long NowTicks { get; private set; }

    /// <summary>Virtual time since the start of the run.</summary>
    public TimeSpan Now => TimeSpan.FromTicks(NowTicks);

    /// <summary>How many actions have run.</summary>
    public long StepsRun { get; private set; }

    /// <summary>Set when code tried to schedule from another thread: the run is no longer single-threaded.</summary>
    public string? ForeignThreadError => Volatile.Read(ref _foreignThreadError);

    /// <summary>How many actions wait in the queue, cancelled ones included.</summary>
    public int Queued => _queue.Count;

    /// <summary>Schedules <paramref name="run"/> after <paramref name="delay"/> (zero: after everything already due now).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="delay"/> is negative.</exception>
    public ScheduledAction Schedule(TimeSpan delay, Action run, SimProcess? owner = null)
    {
        if (delay < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(delay), delay, "a delay cannot be negative");
        }

        return ScheduleAt(NowTicks + delay.Ticks, run, owner);
    }

    /// <summary>Schedules <paramref name="run"/> at the virtual time <paramref name="dueTicks"/> (not earlier than now).</summary>
    public ScheduledAction ScheduleAt(long dueTicks, Action run, SimProcess? owner = null)
    {
        ArgumentNullException.ThrowIfNull(run);

        // The model's core assumption: one thread runs everything. A call from elsewhere (a thread-pool
        // continuation in the code under test) would make the run unrepeatable. Throwing on that thread
        // would crash the process unobserved, so the call is dropped and recorded; the run loop reads
        // the record and ends the run as a crash.
        if (Environment.CurrentManagedThreadId != _threadId)
        {
            var error = $"scheduled from thread {Environment.CurrentManagedThreadId}, not the simulation's thread {_threadId}: {Environment.StackTrace}";
            Interlocked.CompareExchange(ref _foreignThreadError, error, null);
            var dropped = new ScheduledAction(NowTicks, -1, owner, run);
            dropped.Cancel();
            return dropped;
        }

        if (_queue.Count >= QueuedActionsMax)
        {
            throw new InvalidOperationException($"more than {QueuedActionsMax} queued actions: a runaway loop");
        }

        var action = new ScheduledAction(Math.Max(dueTicks, NowTicks), _nextSequence++, owner, run);
        _queue.Enqueue(action, (action.DueTicks, action.Sequence));
        return action;
    }

    /// <summary>Runs <paramref name="action"/> now, outside the queue, under the context of <paramref name="owner"/>.</summary>
    public void RunNow(Action action, SimProcess? owner)
    {
        SynchronizationContext.SetSynchronizationContext(owner?.Context ?? _sharedContext);
        action();
    }

    /// <summary>
    /// Runs the next live action if it is due no later than <paramref name="untilTicks"/>, moving time
    /// to it. Returns false when nothing is left before that time (time then moves to it).
    /// </summary>
    public bool Step(long untilTicks)
    {
        while (_queue.TryPeek(out var next, out var key))
        {
            if (key.Due > untilTicks)
            {
                break;
            }

            _queue.Dequeue();
            if (next.Cancelled)
            {
                continue;
            }

            // Time never goes backwards: the queue hands out actions in (time, sequence) order.
            if (next.DueTicks < NowTicks)
            {
                throw new InvalidOperationException($"time went backwards: {next.DueTicks} < {NowTicks}");
            }

            NowTicks = next.DueTicks;
            if (next.Owner is { } owner && !owner.Admit(next))
            {
                continue;
            }

            StepsRun++;
            SynchronizationContext.SetSynchronizationContext(next.Owner?.Context ?? _sharedContext);
            next.Run();
            return true;
        }

        NowTicks = Math.Max(NowTicks, untilTicks);
        return false;
    }
}
