using System.Collections.Concurrent;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Port;
using static Partitioner.Tests.Shell.Waits;

namespace Partitioner.Tests.Shell;

public sealed class LifecycleTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new();
    private readonly ScriptedDecider _decider = new();
    private readonly TaskCompletionSource _releaseDecided = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentQueue<string> _steps = new();

    public LifecycleTests()
    {
        // The usual cycle: reconnect = acquired, suspend = release, release request = allocating,
        // expiry = failure, finish = failure after deleting the party node (operation 90).
        _decider.OnDecide = (state, e) => e switch
        {
            SessionReconnected => state.To(PartitionState.Acquired, "a", "b").Then(),
            SessionSuspended => state.To(PartitionState.Release).Then(),
            ReleaseRequested => Released(state),
            DeleteCompleted { OpId: 50 } => state.To(PartitionState.Allocating).Then(),
            SessionExpired => state.To(PartitionState.Failure).Then(),
            FinishRequested when state.PartitionState != PartitionState.Failure =>
                state.To(PartitionState.Failure).Then(new DeleteNode(90, "/party/party/me")),
            _ => state.Then(),
        };
        _port.LastConfirmedTimestamp = _time.GetTimestamp();
    }

    [Fact]
    public async Task WaitForAcquireAsync_WhenTheMemberAcquiresLater_ReturnsTrue()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var waiting = partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(30));
        Assert.False(waiting.IsCompleted);

        _port.ChangeSession(SessionChange.Reconnected);

        Assert.True(await waiting.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task WaitForAcquireAsync_WithAnInfiniteTimeout_WaitsUntilAcquired()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var waiting = partitioner.WaitForAcquireAsync(Timeout.InfiniteTimeSpan);

        _time.Advance(TimeSpan.FromDays(400));
        Assert.False(waiting.IsCompleted);
        _port.ChangeSession(SessionChange.Reconnected);

        Assert.True(await waiting.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task WaitForAcquireAsync_WhenCancelled_ThrowsOperationCanceled()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        using var cancel = new CancellationTokenSource();
        var waiting = partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(30), cancel.Token);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(HangGuard));
    }

    [Fact]
    public async Task WaitForAcquireAsync_WhenTheTimeoutPassesFirst_ReturnsFalse()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var waiting = partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(30));

        _time.Advance(TimeSpan.FromSeconds(30));

        Assert.False(await waiting.WaitAsync(HangGuard));
        Assert.True(partitioner.Allocating);
    }

    [Fact]
    public async Task WaitForAcquireAsync_WhenTheMemberFails_ReturnsFalse()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var waiting = partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(30));

        _port.ChangeSession(SessionChange.Expired);

        Assert.False(await waiting.WaitAsync(HangGuard));
        Assert.True(partitioner.Failed);
    }

    [Fact]
    public async Task WaitForAcquireAsync_InRelease_ReturnsFalseAtOnce()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.ChangeSession(SessionChange.Suspended);

        Assert.False(await partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(30)).WaitAsync(HangGuard));
    }

    [Fact]
    public async Task WaitForAcquireAsync_WithNegativeTimeout_RefusesNamingIt()
    {
        var partitioner = Shell.Start(_port, _time, _decider);

        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => partitioner.WaitForAcquireAsync(TimeSpan.FromSeconds(-2)));

        Assert.Equal("timeout", error.ParamName);
        Assert.Contains("-00:00:02", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReleaseSetAsync_CompletesOnlyWhenTheMemberLeavesRelease()
    {
        // Given a member in Release whose release deletes a lock before re-allocating.
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.ChangeSession(SessionChange.Suspended);

        // When it is asked to release, the task waits for the delete's answer.
        var releasing = partitioner.ReleaseSetAsync();
        Assert.Equal("delete", _port.Calls.Single().Operation);
        Assert.False(releasing.IsCompleted);
        Assert.True(partitioner.Release);

        // Then the answer moves it to Allocating and completes the task.
        _port.Calls.Single().Answer(ZooKeeperError.Ok);
        await releasing.WaitAsync(HangGuard);
        Assert.True(partitioner.Allocating);
    }

    [Fact]
    public async Task FinishAsync_CompletesWhenInFailureAndItsDeletesAreAnswered()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.ChangeSession(SessionChange.Reconnected);

        var finishing = partitioner.FinishAsync();
        Assert.True(partitioner.Failed);
        Assert.False(finishing.IsCompleted);

        _port.Calls.Single().Answer(ZooKeeperError.Ok);
        await finishing.WaitAsync(HangGuard);
        Assert.Equal([new DeleteCompleted(90, ZooKeeperError.Ok)], _decider.Seen.OfType<DeleteCompleted>());
    }

    [Fact]
    public async Task FinishAsync_WhenThePortNeverAnswers_CompletesOneSessionTimeoutLater()
    {
        // Given a member whose finish sends a delete that is never answered.
        var partitioner = Shell.Start(_port, _time, _decider);
        var finishing = partitioner.FinishAsync();
        Assert.Equal("delete", _port.Calls.Single().Operation);

        // When just under a session timeout passes, it is still waiting; at the timeout it gives up waiting.
        _time.Advance(_port.SessionTimeout - TimeSpan.FromTicks(1));
        Assert.False(finishing.IsCompleted);
        _time.Advance(TimeSpan.FromTicks(1));
        await finishing.WaitAsync(HangGuard);
        Assert.True(partitioner.Failed);
    }

    [Fact]
    public async Task DisposeAsync_FinishesTheMemberAndStopsItsTimersAndSessionListener()
    {
        _decider.OnStart = config => new MemberState { Config = config }.Then(new StartTimer(5, TimeSpan.FromSeconds(60)));
        _port.AnswerAtOnce = _ => ZooKeeperError.Ok;
        var partitioner = Shell.Start(_port, _time, _decider);

        await partitioner.DisposeAsync().AsTask().WaitAsync(HangGuard);

        Assert.True(partitioner.Failed);
        Assert.Contains(new FinishRequested(), _decider.Seen);
        Assert.Equal(0, _time.ArmedTimers);
        Assert.False(_port.HasSessionListener);
    }

    [Fact]
    public async Task WatchStatesAsync_YieldsTheCurrentStateThenEachChangeAndEndsAfterFailure()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var states = new List<PartitionState>();
        var watching = Task.Run(async () =>
        {
            await foreach (var state in partitioner.WatchStatesAsync())
            {
                states.Add(state);
            }
        });

        // Subscribing happens on another thread: wait for the current state to be delivered first.
        await WaitUntil(() => states.Count == 1);
        _port.ChangeSession(SessionChange.Reconnected);
        _port.ChangeSession(SessionChange.Suspended);
        _port.ChangeSession(SessionChange.Expired);
        await watching.WaitAsync(HangGuard);

        Assert.Equal([PartitionState.Allocating, PartitionState.Acquired, PartitionState.Release, PartitionState.Failure], states);
    }

    [Fact]
    public async Task WatchStatesAsync_WhenTheReaderFallsFarBehind_KeepsOnlyTheLatestChangesAndStillEndsWithFailure()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        await using var reader = partitioner.WatchStatesAsync().GetAsyncEnumerator();
        Assert.True(await reader.MoveNextAsync());
        Assert.Equal(PartitionState.Allocating, reader.Current);

        for (int i = 0; i < 200; i++)
        {
            _port.ChangeSession(SessionChange.Reconnected);
            _port.ChangeSession(SessionChange.Suspended);
        }

        _port.ChangeSession(SessionChange.Expired);
        var states = new List<PartitionState>();
        while (await reader.MoveNextAsync().AsTask().WaitAsync(HangGuard))
        {
            states.Add(reader.Current);
        }

        Assert.Equal(SetPartitioner.WatchedStatesBufferedMax, states.Count);
        Assert.Equal(PartitionState.Failure, states[^1]);
        Assert.Equal(PartitionState.Release, states[^2]);
    }

    [Fact]
    public async Task RunAsync_OnRelease_CancelsTheWorkAndReleasesOnlyAfterItReturns()
    {
        // Given the loop working on an acquired set.
        var partitioner = Shell.Start(_port, _time, _decider);
        var workSawCancellation = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var letWorkReturn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var workStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var stop = new CancellationTokenSource();
        var running = partitioner.RunAsync(
            async (items, token) =>
            {
                _steps.Enqueue($"work on {string.Join(",", items)}");
                workStarted.SetResult();
                await WhenCancelled(token);
                _steps.Enqueue("work cancelled");
                workSawCancellation.SetResult();
                await letWorkReturn.Task;
                _steps.Enqueue("work returned");
            },
            stop.Token);
        _port.ChangeSession(SessionChange.Reconnected);
        await workStarted.Task.WaitAsync(HangGuard);

        // When the member goes to Release, the work's token is cancelled, but no release happens yet.
        _port.ChangeSession(SessionChange.Suspended);
        await workSawCancellation.Task.WaitAsync(HangGuard);
        Assert.DoesNotContain(new ReleaseRequested(), _decider.Seen);

        // Then once the work returns, the set is released.
        letWorkReturn.SetResult();
        await _releaseDecided.Task.WaitAsync(HangGuard);
        Assert.Equal(["work on a,b", "work cancelled", "work returned", "release decided"], _steps);
        _port.Calls.Single().Answer(ZooKeeperError.Ok);

        // And when the loop is stopped, the member finishes and the loop returns.
        await WaitUntil(() => partitioner.Allocating);
        _port.AnswerAtOnce = _ => ZooKeeperError.Ok;
        await stop.CancelAsync();
        await running.WaitAsync(HangGuard);
        Assert.True(partitioner.Failed);
    }

    [Theory]
    [InlineData(nameof(SetPartitioner.RunAsync))]
    [InlineData(nameof(SetPartitioner.RunItemsAsync))]
    public async Task Loop_CancelledWhileItsReleaseWaitsForTheServer_StillFinishesAndReturns(string loop)
    {
        // Given a loop whose member lost its connection: the loop released, and the release's delete is never
        // answered (the server is out of reach, as for a member on a follower cut from its leader).
        var partitioner = Shell.Start(_port, _time, _decider);
        using var stop = new CancellationTokenSource();
        var running = loop == nameof(SetPartitioner.RunAsync)
            ? partitioner.RunAsync((_, _) => Task.CompletedTask, stop.Token)
            : partitioner.RunItemsAsync(_ => Task.CompletedTask, stop.Token);
        _port.ChangeSession(SessionChange.Suspended);
        await _releaseDecided.Task.WaitAsync(HangGuard);

        // When the loop is cancelled.
        await stop.CancelAsync();

        // Then it finishes the member and returns once the finish gives up waiting (a session timeout after it was
        // asked, as FinishAsync does), not when the server answers the release.
        await WaitUntil(() =>
        {
            _time.Advance(TimeSpan.FromSeconds(1));
            return running.IsCompleted;
        });
        await running.WaitAsync(HangGuard);
        Assert.True(partitioner.Failed);
        Assert.False(_port.Calls.Single(c => c.Path == "/party/locks/a/lock").Answered);
    }

    [Fact]
    public async Task RunAsync_WhenTheMemberFailsWithoutFinish_ThrowsWithTheReason()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var running = partitioner.RunAsync((_, _) => Task.CompletedTask, CancellationToken.None);

        _port.ChangeSession(SessionChange.Expired);

        var error = await Assert.ThrowsAsync<PartitionerFailedException>(() => running.WaitAsync(HangGuard));
        Assert.Equal("scripted failure", error.Reason);
    }

    [Fact]
    public async Task RunAsync_WhenFinishIsCalled_ReturnsWithoutError()
    {
        _port.AnswerAtOnce = _ => ZooKeeperError.Ok;
        var partitioner = Shell.Start(_port, _time, _decider);
        var running = partitioner.RunAsync((_, _) => Task.CompletedTask, CancellationToken.None);

        await partitioner.FinishAsync().WaitAsync(HangGuard);

        await running.WaitAsync(HangGuard);
        Assert.True(partitioner.Failed);
    }

    [Fact]
    public async Task RunAsync_WhenTheWorkThrows_FinishesTheMemberAndRethrows()
    {
        _port.AnswerAtOnce = _ => ZooKeeperError.Ok;
        var partitioner = Shell.Start(_port, _time, _decider);
        var running = partitioner.RunAsync((_, _) => throw new InvalidOperationException("work bug"), CancellationToken.None);

        _port.ChangeSession(SessionChange.Reconnected);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => running.WaitAsync(HangGuard));
        Assert.Equal("work bug", error.Message);
        Assert.True(partitioner.Failed);
        Assert.Contains(new FinishRequested(), _decider.Seen);
    }

    private Decision Released(MemberState state)
    {
        _steps.Enqueue("release decided");
        _releaseDecided.TrySetResult();
        return state.PartitionState == PartitionState.Release
            ? state.Then(new DeleteNode(50, "/party/locks/a/lock"))
            : state.To(PartitionState.Allocating).Then();
    }
}
