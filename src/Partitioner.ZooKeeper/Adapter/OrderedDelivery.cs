namespace Partitioner.ZooKeeper.Adapter;

/// <summary>
/// Hands the shell the client's replies, watch notifications and session events in the order the server
/// produced them, one at a time.
/// </summary>
/// <remarks>
/// The client completes its request tasks in order on its dispatcher, but their continuations run on the
/// thread pool, where two replies can overtake each other. The port promises order, so every request is
/// queued here when it is sent, and its result is handed on only once every earlier request's result has
/// been. A watch or session event arrives on the client's dispatcher after every reply that came before it
/// has completed its task, so it goes behind exactly those replies and ahead of any still unanswered.
/// Whoever finds nobody delivering becomes the deliverer; the others only queue.
/// </remarks>
internal sealed class OrderedDelivery
{
    private readonly object _gate = new();
    private readonly Queue<(Task Reply, Action Deliver)> _unanswered = new();
    private readonly Queue<Action> _ready = new();
    private bool _delivering;

    /// <summary>
    /// Returns a task that completes with <paramref name="map"/> of <paramref name="reply"/> once every
    /// earlier result is delivered. The task's continuations run synchronously, so the shell's mailbox
    /// receives results in this order.
    /// </summary>
    public Task<TResult> Track<TReply, TResult>(Task<TReply> reply, Func<Task<TReply>, TResult> map)
    {
        var result = new TaskCompletionSource<TResult>();
        lock (_gate)
        {
            _unanswered.Enqueue((reply, () => result.TrySetResult(map(reply))));
        }

        reply.ContinueWith(
            static (_, self) => ((OrderedDelivery)self!).Deliver(),
            this,
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        return result.Task;
    }

    /// <summary>Queues a notification behind every reply that has already arrived, and delivers what is ready.</summary>
    public void Post(Action notification)
    {
        lock (_gate)
        {
            PromoteAnswered();
            _ready.Enqueue(notification);
        }

        Deliver();
    }

    private void Deliver()
    {
        lock (_gate)
        {
            if (_delivering)
            {
                return;
            }

            _delivering = true;
        }

        while (TakeNext() is { } next)
        {
            try
            {
                next();
            }
            catch
            {
                // Give up the role so that the next reply or event delivers what is left.
                lock (_gate)
                {
                    _delivering = false;
                }

                throw;
            }
        }
    }

    /// <summary>The next delivery in order, or null (and the deliverer role given up) when none is ready.</summary>
    private Action? TakeNext()
    {
        lock (_gate)
        {
            PromoteAnswered();
            if (_ready.TryDequeue(out var next))
            {
                return next;
            }

            _delivering = false;
            return null;
        }
    }

    /// <summary>Moves the answered requests at the head of the issue order to the ready queue (under the gate).</summary>
    private void PromoteAnswered()
    {
        while (_unanswered.TryPeek(out var head) && head.Reply.IsCompleted)
        {
            _unanswered.Dequeue();
            _ready.Enqueue(head.Deliver);
        }
    }
}
