namespace Partitioner.ZooKeeper;

/// <summary>
/// The work deadline of <see cref="SetPartitioner.RunAsync"/> and the claim timer of the per-item changes
/// (<see cref="ItemOwnership"/>): a timer from the partitioner's <see cref="TimeProvider"/> that cancels the work (or
/// calls back) once the ownership deadline has passed, re-armed for the time left each time it finds
/// that confirmations from ZooKeeper have moved the deadline on.
/// </summary>
/// <remarks>
/// The timer fires no earlier than the deadline known when it was armed; a later confirmation only moves the deadline
/// later, so when it fires the work is either past its deadline (cancelled now) or has time left (armed again for it).
/// A process that is paused cannot run the timer, but it cannot run its work either: what a paused process does when
/// it wakes is fenced by the tokens.
/// </remarks>
internal sealed class WorkDeadline : IDisposable
{
    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly Func<TimeSpan> _remaining;
    private readonly Action _onPassed;
    private ITimer? _timer;
    private bool _disposed;
    private int _passed;

    /// <param name="time">The partitioner's clock.</param>
    /// <param name="remaining">The time left until the ownership deadline (zero or less once it has passed).</param>
    /// <param name="work">Cancelled when the deadline passes.</param>
    public WorkDeadline(TimeProvider time, Func<TimeSpan> remaining, CancellationTokenSource work)
        : this(time, remaining, () => CancelWork(work))
    {
    }

    /// <param name="time">The partitioner's clock.</param>
    /// <param name="remaining">The time left until the ownership deadline (zero or less once it has passed).</param>
    /// <param name="passed">Called once, on the timer's thread, when the deadline passes.</param>
    public WorkDeadline(TimeProvider time, Func<TimeSpan> remaining, Action passed)
    {
        _time = time;
        _remaining = remaining;
        _onPassed = passed;
    }

    /// <summary>True once the deadline passed and the work was cancelled for it.</summary>
    public bool Passed => Volatile.Read(ref _passed) == 1;

    /// <summary>Arms the timer for the time left now (at once when none is).</summary>
    public void Start()
    {
        var due = Due(_remaining());
        lock (_gate)
        {
            if (!_disposed)
            {
                _timer = _time.CreateTimer(_ => OnTimer(), null, due, Timeout.InfiniteTimeSpan);
            }
        }
    }

    /// <summary>Stops the timer; a callback already running finds the deadline disposed and does nothing.</summary>
    public void Dispose()
    {
        ITimer? timer;
        lock (_gate)
        {
            _disposed = true;
            timer = _timer;
            _timer = null;
        }

        timer?.Dispose();
    }

    private void OnTimer()
    {
        var remaining = _remaining();
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            if (remaining > TimeSpan.Zero)
            {
                _timer?.Change(Due(remaining), Timeout.InfiniteTimeSpan);
                return;
            }

            Volatile.Write(ref _passed, 1);
        }

        // Outside the gate: the work's cancellation callbacks run here and may take their time.
        _onPassed();
    }

    private static void CancelWork(CancellationTokenSource work)
    {
        try
        {
            work.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The work finished and its source was disposed between the check and here: nothing to stop.
        }
    }

    private static TimeSpan Due(TimeSpan remaining) => remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero;
}
