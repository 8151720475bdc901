using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Tasks that complete when an observation satisfies a condition. Conditions are checked on the
/// draining thread after each decision, and once against the latest observation when registered,
/// so no change can slip between a check and a registration.
/// </summary>
internal sealed class StateWaiters
{
    private readonly object _gate = new();
    private readonly List<Waiter> _waiters = [];
    private Observation _latest;

    public StateWaiters(Observation initial)
    {
        _latest = initial;
    }

    /// <summary>The latest observation.</summary>
    public Observation Latest
    {
        get
        {
            lock (_gate)
            {
                return _latest;
            }
        }
    }

    /// <summary>
    /// A task that completes with the state of the first observation for which <paramref name="isDone"/>
    /// holds, the latest one included. The condition may keep its own notes: it sees observations in order,
    /// the latest one again on a <see cref="Recheck"/>.
    /// </summary>
    public Task<MemberState> WaitAsync(Func<Observation, bool> isDone, CancellationToken cancellationToken)
    {
        var waiter = new Waiter(isDone);
        lock (_gate)
        {
            if (isDone(_latest))
            {
                return Task.FromResult(_latest.Current);
            }

            _waiters.Add(waiter);
        }

        if (cancellationToken.CanBeCanceled)
        {
            var registration = cancellationToken.Register(() => Cancel(waiter, cancellationToken));
            bool stillWaiting;
            lock (_gate)
            {
                waiter.Registration = registration;
                stillWaiting = _waiters.Contains(waiter);
            }

            if (!stillWaiting)
            {
                registration.Dispose();
            }
        }

        return waiter.Completion.Task;
    }

    /// <summary>Records an observation and completes the waiters it satisfies.</summary>
    public void Observe(Observation observation) => CompleteSatisfied(observation);

    /// <summary>Checks every waiter again against the latest observation, for conditions that also depend on something else (a deadline).</summary>
    public void Recheck() => CompleteSatisfied(null);

    private void CompleteSatisfied(Observation? next)
    {
        List<(Waiter Waiter, CancellationTokenRegistration Registration)>? done = null;
        Observation observation;
        lock (_gate)
        {
            observation = _latest = next ?? _latest;
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].IsDone(observation))
                {
                    (done ??= []).Add((_waiters[i], _waiters[i].Registration));
                    _waiters.RemoveAt(i);
                }
            }
        }

        if (done is null)
        {
            return;
        }

        // Completed in registration order; continuations run asynchronously, never on the mailbox.
        for (var i = done.Count - 1; i >= 0; i--)
        {
            done[i].Waiter.Completion.TrySetResult(observation.Current);
            done[i].Registration.Dispose();
        }
    }

    private void Cancel(Waiter waiter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _waiters.Remove(waiter);
        }

        waiter.Completion.TrySetCanceled(cancellationToken);
    }

    private sealed class Waiter(Func<Observation, bool> isDone)
    {
        public Func<Observation, bool> IsDone { get; } = isDone;

        public TaskCompletionSource<MemberState> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenRegistration Registration { get; set; }
    }
}
