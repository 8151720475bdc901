namespace Partitioner.Simulation.Scheduling;

/// <summary>
/// One simulated operating-system process (a member): every timer and network delivery that runs
/// member code is owned by one. A paused process runs nothing; what falls due meanwhile waits and
/// runs, in its original order, when it resumes. A crashed process runs nothing ever again.
/// </summary>
public sealed class SimProcess
{
    private readonly SimScheduler _scheduler;
    private readonly List<ScheduledAction> _deferred = new();
    private readonly List<Action> _resumeHooks = new();

    /// <summary>Creates a running process.</summary>
    public SimProcess(SimScheduler scheduler, string name)
    {
        _scheduler = scheduler;
        Name = name;
        Context = new SimSynchronizationContext(scheduler, this);
    }

    /// <summary>The synchronization context the process's code runs under.</summary>
    public SimSynchronizationContext Context { get; }

    /// <summary>The process's name in the trace.</summary>
    public string Name { get; }

    /// <summary>True while paused.</summary>
    public bool Paused { get; private set; }

    /// <summary>True once crashed.</summary>
    public bool Crashed { get; private set; }

    /// <summary>
    /// Registers an action that runs first on resume, before anything deferred: the ZooKeeper client
    /// checks its read timeout before it reads buffered input, as the Java client's send loop does.
    /// </summary>
    public void OnResume(Action hook) => _resumeHooks.Add(hook);

    /// <summary>Stops the process; nothing it owns runs until <see cref="Resume"/>.</summary>
    public void Pause() => Paused = !Crashed;

    /// <summary>
    /// Stops the process until <paramref name="until"/> (virtual ticks), or longer if it is already paused until
    /// later: two pauses that overlap end when the later one ends. Returns when it will resume.
    /// </summary>
    public long PauseUntil(long until)
    {
        if (Crashed)
        {
            return until;
        }

        PausedUntilTicks = Paused ? Math.Max(PausedUntilTicks, until) : until;
        Paused = true;
        return PausedUntilTicks;
    }

    /// <summary>When the pause of <see cref="PauseUntil"/> ends, in virtual ticks.</summary>
    public long PausedUntilTicks { get; private set; }

    /// <summary>Restarts a paused process: resume hooks run, then the deferred actions in order.</summary>
    public void Resume()
    {
        if (!Paused || Crashed)
        {
            return;
        }

        Paused = false;
        foreach (var hook in _resumeHooks)
        {
            hook();
        }

        var overdue = _deferred.ToArray();
        _deferred.Clear();
        foreach (var action in overdue)
        {
            if (!action.Cancelled)
            {
                _scheduler.Schedule(TimeSpan.Zero, action.Run, this);
            }
        }
    }

    /// <summary>Kills the process: nothing it owns runs again.</summary>
    public void Crash()
    {
        Crashed = true;
        Paused = false;
        _deferred.Clear();
    }

    /// <summary>Decides whether a due action may run now; defers it while paused, drops it once crashed.</summary>
    internal bool Admit(ScheduledAction action)
    {
        if (Crashed)
        {
            return false;
        }

        if (Paused)
        {
            _deferred.Add(action);
            return false;
        }

        return true;
    }
}
