using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

/// <summary>
/// A simulator runs everything on one thread, with a synchronization context that queues continuations for
/// it. These tests play that role, to show that the shell's awaited APIs never hop to the thread pool.
/// </summary>
public sealed class SingleThreadTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new() { AnswerAtOnce = _ => ZooKeeperError.Ok };
    private readonly ScriptedDecider _decider = new();
    private readonly List<int> _decisionThreads = [];

    public SingleThreadTests()
    {
        _decider.OnDecide = (state, e) =>
        {
            lock (_decisionThreads)
            {
                _decisionThreads.Add(Environment.CurrentManagedThreadId);
            }

            return e switch
            {
                SessionReconnected => state.To(PartitionState.Acquired, "a").Then(),
                SessionSuspended => state.To(PartitionState.Release).Then(),
                ReleaseRequested => state.To(PartitionState.Allocating).Then(),
                FinishRequested => state.To(PartitionState.Failure).Then(new DeleteNode(9, "/party/party/me")),
                _ => state.Then(),
            };
        };
        _port.LastConfirmedTimestamp = _time.GetTimestamp();
    }

    [Fact]
    public void RunAsync_UnderASingleThreadedContext_StaysOnThatThreadThroughReleaseAndFinish()
    {
        using var context = PumpContext.Install();

        // Given the run loop started on the context's thread.
        var partitioner = Shell.Start(_port, _time, _decider);
        var steps = new List<string>();
        using var stop = new CancellationTokenSource();
        var running = partitioner.RunAsync(
            async (items, token) =>
            {
                steps.Add($"work on {string.Join(",", items)}");
                var cancelled = new TaskCompletionSource();
                using (token.Register(cancelled.SetResult))
                {
                    await cancelled.Task;
                }

                steps.Add("work stopped");
            },
            stop.Token);

        // When the member acquires, is released, acquires again and the loop is stopped, pumping the
        // context after each step as a simulator's scheduler would.
        PumpThroughReconnectSuspendReconnectAndStop(context, stop);

        // Then every step happened without leaving the thread, and nothing was posted from another one.
        Assert.Equal(["work on a", "work stopped", "work on a", "work stopped"], steps);
        Assert.True(running.IsCompletedSuccessfully, $"the loop is {running.Status}");
        Assert.True(partitioner.Failed);
        Assert.Empty(context.ForeignPosts);
        Assert.All(_decisionThreads, id => Assert.Equal(context.ThreadId, id));
    }

    [Fact]
    public void RunItemsAsync_UnderASingleThreadedContext_StaysOnThatThreadThroughARevocationALossAndFinish()
    {
        // A reconnect acquires a and b; a suspension revokes b (stop 77) as a cooperative hand-off does; the second
        // reconnect loses everything (Release); a release request allocates again.
        var reconnects = 0;
        var inner = _decider.OnDecide;
        _decider.OnDecide = (state, e) => e switch
        {
            SessionReconnected when ++reconnects == 1 => (state.To(PartitionState.Acquired, "a", "b") with { OwnedItems = [new("a", 41), new("b", 57)] }).Then(),
            SessionReconnected => state.To(PartitionState.Release).Then(),
            SessionSuspended => (state with { AcquiredItems = ["a"], OwnedItems = [new("a", 41)] }).Then(new StopItemWork(77, "b")),
            _ => inner(state, e),
        };
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
        using var context = PumpContext.Install();

        // Given the per-item loop started on the context's thread.
        var partitioner = Shell.Start(_port, _time, _decider);
        var steps = new List<string>();
        using var stop = new CancellationTokenSource();
        var running = partitioner.RunItemsAsync(
            async work =>
            {
                steps.Add($"work on {work.Item} {work.FencingToken}");
                var stopped = new TaskCompletionSource();
                using (work.Stopping.Register(stopped.SetResult))
                {
                    await stopped.Task;
                }

                steps.Add($"{work.Item} stopped {work.StopReason}");
            },
            stop.Token);

        // When the member acquires, b is revoked, the connection is lost, and the loop is stopped, pumping the
        // context after each step as a simulator's scheduler would.
        PumpThroughReconnectSuspendReconnectAndStop(context, stop);

        // Then every step happened without leaving the thread: the works, the answer to the stop, the release.
        Assert.Equal(["work on a 41", "work on b 57", "b stopped Revoked", "a stopped Lost"], steps);
        Assert.Single(_decider.Seen.OfType<ItemWorkStopped>());
        Assert.Single(_decider.Seen.OfType<ReleaseRequested>());
        Assert.True(running.IsCompletedSuccessfully, $"the loop is {running.Status}");
        Assert.True(partitioner.Failed);
        Assert.Empty(context.ForeignPosts);
        Assert.All(_decisionThreads, id => Assert.Equal(context.ThreadId, id));
    }

    [Fact]
    public void WaitForAcquireAsync_UnderASingleThreadedContext_TimesOutOnThatThread()
    {
        using var context = PumpContext.Install();
        var partitioner = Shell.Start(_port, _time, _decider);
        var waiting = partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(5));

        _time.Advance(TimeSpan.FromSeconds(5));
        context.Pump();

        Assert.True(waiting.IsCompletedSuccessfully);
#pragma warning disable xUnit1031 // The task has completed: this reads its result without blocking the pump's thread.
        Assert.False(waiting.Result);
#pragma warning restore xUnit1031
        Assert.Empty(context.ForeignPosts);
    }

    /// <summary>
    /// Pumps the context, then again after each of: a reconnect, a suspension, a second reconnect and the loop's
    /// stop, as a simulator's scheduler would run what each step posted before the next.
    /// </summary>
    private void PumpThroughReconnectSuspendReconnectAndStop(PumpContext context, CancellationTokenSource stop)
    {
        context.Pump();
        _port.ChangeSession(SessionChange.Reconnected);
        context.Pump();
        _port.ChangeSession(SessionChange.Suspended);
        context.Pump();
        _port.ChangeSession(SessionChange.Reconnected);
        context.Pump();
        stop.Cancel();
        context.Pump();
    }

    /// <summary>
    /// Queues posted callbacks and runs them when pumped, noting any post from another thread. Installed as the
    /// current context until disposed, when the one it replaced is current again.
    /// </summary>
    private sealed class PumpContext : SynchronizationContext, IDisposable
    {
        private readonly Queue<(SendOrPostCallback Callback, object? State)> _queue = new();
        private readonly SynchronizationContext? _previous = Current;

        private PumpContext()
        {
        }

        public static PumpContext Install()
        {
            var context = new PumpContext();
            SetSynchronizationContext(context);
            return context;
        }

        public void Dispose() => SetSynchronizationContext(_previous);

        public int ThreadId { get; } = Environment.CurrentManagedThreadId;

        public List<string> ForeignPosts { get; } = [];

        public override void Post(SendOrPostCallback d, object? state)
        {
            lock (_queue)
            {
                if (Environment.CurrentManagedThreadId != ThreadId)
                {
                    ForeignPosts.Add(Environment.StackTrace);
                }

                _queue.Enqueue((d, state));
            }
        }

        public override SynchronizationContext CreateCopy() => this;

        public void Pump()
        {
            while (true)
            {
                (SendOrPostCallback Callback, object? State) next;
                lock (_queue)
                {
                    if (!_queue.TryDequeue(out next))
                    {
                        return;
                    }
                }

                next.Callback(next.State);
            }
        }
    }
}
