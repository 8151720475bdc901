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

    /// <summary>Below this many ticks a product with a million (or with a drift under half a million) fits in 64 bits, with room for the rounding term.</summary>
    private const long ProductSafeTicksMax = (long.MaxValue / 1_000_000) - 1_000_000;

    private readonly SimScheduler _scheduler;
    private readonly SimProcess? _process;
    private readonly long _timestampOffset;

    /// <summary>Creates a clock for <paramref name="process"/> (null: the clock of the server and network).</summary>
    /// <param name="scheduler">The scheduler whose virtual time the clock follows.</param>
    /// <param name="process">The process whose timers this clock runs.</param>
    /// <param name="timestampOffset">Where the clock's timestamps start.</param>
    /// <param name="driftPpm">How fast the clock runs against true (virtual) time, in parts per million:
    /// +20,000 runs 2% fast, so its timers fire 2% early in true time. The default is 0.</param>
    public VirtualTimeProvider(SimScheduler scheduler, SimProcess? process, long timestampOffset, int driftPpm = 0)
    {
        if (driftPpm is <= -500_000 or >= 500_000)
        {
            throw new ArgumentOutOfRangeException(nameof(driftPpm), driftPpm, "must be within ±500,000 parts per million");
        }

        _scheduler = scheduler;
        _process = process;
        _timestampOffset = timestampOffset;
        DriftPpm = driftPpm;
    }

    /// <summary>The clock's rate against true time, in parts per million (0: exact).</summary>
    public int DriftPpm { get; }

    /// <summary>
    /// When set, how late each timer set from now on fires, beyond its due time (the late-timers fault:
    /// a starved thread pool or a loaded host). Null: timers fire on time.
    /// </summary>
    public Func<TimeSpan>? Lateness { get; set; }

    /// <summary>How much true time passes while this clock measures <paramref name="local"/> (rounded up, never negative).</summary>
    public TimeSpan ToTrue(TimeSpan local)
    {
        if (local <= TimeSpan.Zero || DriftPpm == 0)
        {
            return local < TimeSpan.Zero ? TimeSpan.Zero : local;
        }

        // Integer arithmetic, so that a seed gives the same times on every machine; in 64 bits where the product
        // cannot overflow (under about ten days), which gives the same quotient as the 128-bit division at a
        // fraction of its cost (the clocks are read on every step).
        if (local.Ticks < ProductSafeTicksMax)
        {
            return TimeSpan.FromTicks(((local.Ticks * 1_000_000) + (1_000_000 + DriftPpm - 1)) / (1_000_000 + DriftPpm));
        }

        var ticks = ((Int128)local.Ticks * 1_000_000 + (1_000_000 + DriftPpm - 1)) / (1_000_000 + DriftPpm);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>This clock's reading of <paramref name="trueTicks"/> of true time.</summary>
    private long Local(long trueTicks) =>
        DriftPpm == 0 ? trueTicks
        : trueTicks is > -ProductSafeTicksMax and < ProductSafeTicksMax ? trueTicks + (trueTicks * DriftPpm / 1_000_000)
        : trueTicks + (long)((Int128)trueTicks * DriftPpm / 1_000_000);

    /// <inheritdoc />
    public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;

    /// <inheritdoc />
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    /// <inheritdoc />
    public override DateTimeOffset GetUtcNow() => Epoch + TimeSpan.FromTicks(Local(_scheduler.NowTicks));

    /// <inheritdoc />
    public override long GetTimestamp() => _timestampOffset + Local(_scheduler.NowTicks);

    /// <inheritdoc />
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        ArgumentNullException.ThrowIfNull(callback);
        var timer = new SimTimer(this, _scheduler, _process, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>A timer whose callback is a scheduled action.</summary>
    private sealed class SimTimer : ITimer
    {
        private readonly VirtualTimeProvider _clock;
        private readonly SimScheduler _scheduler;
        private readonly SimProcess? _process;
        private readonly TimerCallback _callback;
        private readonly object? _state;
        private ScheduledAction? _pending;
        private TimeSpan _period = Timeout.InfiniteTimeSpan;
        private bool _disposed;

        public SimTimer(VirtualTimeProvider clock, SimScheduler scheduler, SimProcess? process, TimerCallback callback, object? state)
        {
            _clock = clock;
            _scheduler = scheduler;
            _process = process;
            _callback = callback;
            _state = state;
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            if (_disposed)
            {
                return false;
            }

            _pending?.Cancel();
            _pending = null;
            _period = period;
            if (dueTime != Timeout.InfiniteTimeSpan)
            {
                _pending = _scheduler.Schedule(TrueDelay(dueTime), Fire, _process);
            }

            return true;
        }

        /// <summary>The true delay of a timer set for <paramref name="local"/> by this clock, late while the fault lasts.</summary>
        private TimeSpan TrueDelay(TimeSpan local) => _clock.ToTrue(local) + (_clock.Lateness?.Invoke() ?? TimeSpan.Zero);

        public void Dispose()
        {
            _disposed = true;
            _pending?.Cancel();
            _pending = null;
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }

        private void Fire()
        {
            _pending = null;
            if (_disposed)
            {
                return;
            }

            // A zero period would spin forever at one instant; the BCL treats it as "no repeat" too.
            if (_period != Timeout.InfiniteTimeSpan && _period > TimeSpan.Zero)
            {
                _pending = _scheduler.Schedule(TrueDelay(_period), Fire, _process);
            }

            _callback(_state);
        }
    }
}
