using System.Collections.Concurrent;

namespace ZooKeeper.Client;

/// <summary>
/// Runs completions (a task's, or an ordered completion callback), watch callbacks and session events one at a
/// time, in the order they were posted, on a thread-pool thread. The reader posts here instead of running user
/// code, so a slow watcher or callback delays later deliveries but never the reading of the socket or the pings.
/// A task's completion only sets the task, whose continuations run asynchronously, so code after an
/// <c>await</c> never runs here; a completion callback runs here, in reply order with every watch and session event.
/// </summary>
internal sealed class Dispatcher
{
    private readonly ConcurrentQueue<IDispatchItem> _queue = new();
    private int _draining;

    /// <summary>Queues <paramref name="item"/>; starts a drain when none is running.</summary>
    public void Post(IDispatchItem item)
    {
        _queue.Enqueue(item);
        if (Interlocked.CompareExchange(ref _draining, 1, 0) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static self => self.Drain(), this, preferLocal: false);
        }
    }

    /// <summary>
    /// Completes a request on the calling thread (the reader) when nothing is queued or running, else queues it.
    /// Safe for a task request because completing it runs no user code (continuations are asynchronous), and an
    /// idle, empty dispatcher means every earlier event has already been delivered, so the order is kept. Saves a
    /// thread hop on the latency of every awaited reply. A request with a completion callback always goes through
    /// the queue: the callback is the caller's code, which must never run on the reader.
    /// </summary>
    public void Complete(Request request)
    {
        if (!request.RunsCallerCode && Volatile.Read(ref _draining) == 0 && _queue.IsEmpty)
        {
            request.Run();
            return;
        }

        Post(request);
    }

    /// <summary>Runs a user callback; its exception is dropped so that one faulty watcher cannot stop the others.</summary>
    public static void Guard(Action callback)
    {
        try
        {
            callback();
        }
#pragma warning disable CA1031 // A user's callback may throw anything; the client must keep delivering.
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void Drain()
    {
        while (true)
        {
            while (_queue.TryDequeue(out var item))
            {
                item.Run();
            }

            Volatile.Write(ref _draining, 0);
            // An item posted between the last TryDequeue and the reset would otherwise wait for the next post.
            if (_queue.IsEmpty || Interlocked.CompareExchange(ref _draining, 1, 0) != 0)
            {
                return;
            }
        }
    }
}
