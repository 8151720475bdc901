using System.Text;
using ZooKeeper.Client;

namespace Partitioner.Tests.Support.Client;

/// <summary>Small helpers shared by the client tests: bounded waits and connecting with test-friendly options.</summary>
internal static class ClientTestKit
{
    /// <summary>The longest any single await in these tests may take; a hang becomes a failure, not a stuck run.</summary>
    public static readonly TimeSpan WaitMax = TimeSpan.FromSeconds(20);

    public static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    public static string Text(byte[] bytes) => Encoding.UTF8.GetString(bytes);

    public static Task<ZooKeeperClient> Connect(string connectString, TimeSpan? sessionTimeout = null)
    {
        using var timeout = new CancellationTokenSource(WaitMax);
        var options = new ZooKeeperClientOptions
        {
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
        };
        return ZooKeeperClient.ConnectAsync(connectString, options, timeout.Token);
    }

    public static Task<T> Within<T>(this Task<T> task) => task.WaitAsync(WaitMax);

    public static Task Within(this Task task) => task.WaitAsync(WaitMax);

    /// <summary>
    /// Records every session event of a client after its first connect, and lets a test wait for one. A log is made
    /// once <c>ConnectAsync</c> has returned, and the first connect's <see cref="SessionEvent.Connected"/> can still
    /// reach it then (events are delivered on the dispatcher, and a loaded machine delivers late, as CI saw once), so
    /// that event, which only the first connect raises, is left out: what a test asserts is what follows it.
    /// </summary>
    public sealed class StateLog
    {
        private readonly List<SessionEvent> _events = [];
        private readonly List<(SessionEvent Event, TaskCompletionSource Done)> _waiters = [];

        public StateLog(ZooKeeperClient client) => client.StateChanged += Add;

        public IReadOnlyList<SessionEvent> Events
        {
            get
            {
                lock (_events)
                {
                    return [.. _events];
                }
            }
        }

        public Task WaitFor(SessionEvent wanted)
        {
            lock (_events)
            {
                if (_events.Contains(wanted))
                {
                    return Task.CompletedTask;
                }

                var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiters.Add((wanted, done));
                return Described(done.Task.WaitAsync(WaitMax), wanted);
            }
        }

        /// <summary>A timeout names what was awaited and every session event seen, so a failure says what happened instead.</summary>
        private async Task Described(Task waiting, SessionEvent wanted)
        {
            try
            {
                await waiting;
            }
            catch (TimeoutException timeout)
            {
                throw new TimeoutException($"no {wanted} within {WaitMax}; the session events seen: [{string.Join(", ", Events)}]", timeout);
            }
        }

        private void Add(SessionEvent e)
        {
            if (e == SessionEvent.Connected)
            {
                return;
            }

            lock (_events)
            {
                _events.Add(e);
                foreach (var waiter in _waiters.Where(w => w.Event == e).ToList())
                {
                    waiter.Done.TrySetResult();
                    _waiters.Remove(waiter);
                }
            }
        }
    }
}
