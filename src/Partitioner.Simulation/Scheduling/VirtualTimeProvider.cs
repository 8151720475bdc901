namespace Partitioner.Simulation.Scheduling;

/// <summary>
/// A member's clock, driven by the scheduler: timestamps and UTC time are virtual, and timer callbacks
/// run as scheduled actions owned by the member's process (so a paused member's timers wait, and its
/// clock has jumped when it resumes). Each member's timestamps start at a different offset, which
/// catches code that compares one member's timestamps with another's.
/// </summary>
public sealed class VirtualTimeProvider : TimeProvider
{
    /// <summary>The UTC time at virtual time zero: fixed, so traces do not depend on the wall clock.</summary>
    public static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly SimScheduler scheduler;
    private readonly SimProcess? process;
    private readonly long timestampOffset;

    /// <summary>Creates a clock for <paramref name="process"/> (null: the clock of the server and network).</summary>
    public VirtualTimeProvider(SimScheduler scheduler, SimProcess? process, long timestampOffset)
    {
        this.scheduler = scheduler;
        this.process = process;
        this.timestampOffset = timestampOffset;
    }

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Epoch + scheduler.Now;

    /// <inheritdoc />
    public override long GetTimestamp() => timestampOffset + scheduler.NowTicks;

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SimTimer(scheduler, process, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>A timer whose callback is a scheduled action.</summary>
    private sealed class SimTimer : ITimer
    {
        private readonly SimScheduler scheduler;
        private readonly SimProcess? process;
        private readonly TimerCallback callback;
        private readonly object? state;
        private ScheduledAction? pending;
        private TimeSpan period = Timeout.InfiniteTimeSpan;
        private bool disposed;

        public SimTimer(SimScheduler scheduler, SimProcess? process, TimerCallback callback, object? state)
        {
            this.scheduler = scheduler;
            this.process = process;
            this.callback = callback;
            this.state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (disposed)
            {
                return false;
            }

            pending?.Cancel();
            pending = null;
            this.period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                pending = scheduler.Schedule(dueTime < TimeSpan.Zero ? TimeSpan.Zero : dueTime, Fire, process);
            }

            return true;
        }

        public void Dispose()
        {
            disposed = true;
            pending?.Cancel();
            pending = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Fire()
        {
            pending = null;
            if (disposed)
            {
                return;
            }

            // A zero period would spin forever at one instant; the BCL treats it as "no repeat" too.
            if (period != Timeout.InfiniteTimeSpan && period > TimeSpan.Zero)
            {
                pending = scheduler.Schedule(period, Fire, process);
            }

            callback(state);
        }
    }
}
