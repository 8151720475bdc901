namespace Partitioner.Simulation.Scheduling;

/// <summary>
/// The synchronization context every simulated step runs under. An <c>await</c> in the code under test
/// (the shell completes its own tasks with RunContinuationsAsynchronously) posts its continuation here,
/// and it becomes a scheduled action of the same process, instead of a thread-pool work item that
/// would run concurrently and in no repeatable order.
/// </summary>
public sealed class SimSynchronizationContext : SynchronizationContext
{
    private readonly SimScheduler _scheduler;
    private readonly SimProcess? _process;

    /// <summary>Creates the context of <paramref name="process"/> (null: the server and network).</summary>
    public SimSynchronizationContext(SimScheduler scheduler, SimProcess? process)
    {
        _scheduler = scheduler;
        _process = process;
    }

    /// <inheritdoc />
    public override void Post(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        _scheduler.Schedule(TimeSpan.Zero, () => d(state), _process);
    }

    /// <inheritdoc />
    public override void Send(SendOrPostCallback d, object? state)
    {
        ArgumentNullException.ThrowIfNull(d);
        d(state);
    }

    /// <inheritdoc />
    public override SynchronizationContext CreateCopy() => this;
}
