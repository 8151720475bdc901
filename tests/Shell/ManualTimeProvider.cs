namespace Partitioner.Tests.Shell;

/// <summary>
/// Time that moves only when a test says so. Timers fire inside <see cref="Advance"/>, on the test's
/// thread, in due order, which is what lets a test say exactly when a timer-driven event arrives.
/// </summary>
internal sealed class ManualTimeProvider : TimeProvider
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private readonly List<ManualTimer> _timers = [];
    private TimeSpan _now;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public override long GetTimestamp() => _now.Ticks;

    public override DateTimeOffset GetUtcNow() => Epoch + _now;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new ManualTimer(this, callback, state);
        timer.Change(dueTime, period);
        return timer;
    }

    /// <summary>How many timers are armed.</summary>
    public int ArmedTimers
    {
        get
        {
            lock (_timers)
            {
                return _timers.Count(t => t.Due is not null);
            }
        }
    }

    /// <summary>Moves time forward, firing each timer that falls due, earliest first.</summary>
    public void Advance(TimeSpan by)
    {
        var end = _now + by;
        while (NextDue(end) is { } timer)
        {
            _now = timer.Due!.Value;
            timer.Fire();
        }

        _now = end;
    }

    private ManualTimer? NextDue(TimeSpan end)
    {
        lock (_timers)
        {
            return _timers.Where(t => t.Due <= end).OrderBy(t => t.Due).FirstOrDefault();
        }
    }

    private sealed class ManualTimer(ManualTimeProvider owner, TimerCallback callback, object? state) : ITimer
    {
        private TimeSpan _period = Timeout.InfiniteTimeSpan;

        public TimeSpan? Due { get; private set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            lock (owner._timers)
            {
                owner._timers.Remove(this);
                _period = period;
                Due = dueTime == Timeout.InfiniteTimeSpan ? null : owner._now + dueTime;
                if (Due is not null)
                {
                    owner._timers.Add(this);
                }
            }

            return true;
        }

        public void Fire()
        {
            lock (owner._timers)
            {
                owner._timers.Remove(this);
                Due = _period > TimeSpan.Zero ? Due + _period : null;
                if (Due is not null)
                {
                    owner._timers.Add(this);
                }
            }

            callback(state);
        }

        public void Dispose()
        {
            lock (owner._timers)
            {
                owner._timers.Remove(this);
                Due = null;
            }
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
