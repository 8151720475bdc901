using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Port;
using static Partitioner.Tests.Shell.Waits;

namespace Partitioner.Tests.Shell;

/// <summary>
/// RunAsync's work deadline: the work's token is cancelled no later than the instant AcquiredItems turns empty by the
/// member's own clock, by a timer, with no session event needed; and the fencing tokens handed to the work. With a
/// 9-second session and no tickTime given, the claim window is 8.1 s (90 %) after the last instant the leader confirmed.
/// </summary>
public sealed class WorkDeadlineTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(8100);
    private static readonly ImmutableArray<OwnedItem> Owned = [new("a", 41), new("b", 57)];
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new() { SessionTimeout = TimeSpan.FromSeconds(9) };
    private readonly ScriptedDecider _decider = new();
    private readonly TaskCompletionSource _releaseDecided = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WorkDeadlineTests()
    {
        // Reconnect = acquired a and b (tokens 41 and 57); a release request = allocating again.
        _decider.OnDecide = (state, e) => e switch
        {
            SessionReconnected => (state.To(PartitionState.Acquired, "a", "b") with { OwnedItems = Owned }).Then(),
            ReleaseRequested => Released(state),
            _ => state.Then(),
        };
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
    }

    [Fact]
    public async Task RunAsync_WhenTheLeaderAnswersNothingForTheClaimWindow_CancelsTheWorkAtThatInstantThenReleases()
    {
        // Given the loop working on a and b, just reconnected (confirmed at 0 s), behind a follower cut from the leader.
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        var work = new WorkProbe(_time);
        var running = partitioner.RunAsync(work.RunAsync, CancellationToken.None);
        _port.ChangeSession(SessionChange.Reconnected);
        await work.Started.Task.WaitAsync(HangGuard);

        // When the leader stays silent for just under the window, the work goes on.
        _time.Advance(Window - TimeSpan.FromTicks(1));
        Assert.False(work.Cancelled.Task.IsCompleted);
        Assert.Equal(["a", "b"], partitioner.AcquiredItems);

        // Then at the end of the window, the instant AcquiredItems turns empty, the work's token is cancelled:
        // no session event came.
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Empty(partitioner.AcquiredItems);
        Assert.Equal(Window, await work.Cancelled.Task.WaitAsync(HangGuard));
        Assert.DoesNotContain(_decider.Seen, e => e is SessionSuspended or SessionExpired);

        // And once the work has returned, the set is released, to be allocated again.
        await _releaseDecided.Task.WaitAsync(HangGuard);
        Assert.False(running.IsFaulted);
    }

    [Fact]
    public async Task RunAsync_WhileTheLeaderConfirms_KeepsWorking_AndIsCancelledNoLaterThanTheClaimsLapse()
    {
        // Given the loop working, with the leader answering the shell's syncs.
        var partitioner = Shell.Start(_port, _time, _decider);
        var work = new WorkProbe(_time);
        _ = partitioner.RunAsync(work.RunAsync, CancellationToken.None);
        _port.ChangeSession(SessionChange.Reconnected);
        await work.Started.Task.WaitAsync(HangGuard);

        // When 30 s pass (over three windows), confirmations move the deadline on and the work goes on.
        for (int step = 0; step < 300; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.False(work.Cancelled.Task.IsCompleted, $"cancelled at step {step}");
        }

        // Then once the leader goes silent, at every millisecond where the member claims nothing its work is
        // already cancelled, and the claims did lapse.
        _port.SyncAnswer = null;
        for (int step = 0; step < 20_000 && !work.Cancelled.Task.IsCompleted; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(1));
            Assert.True(partitioner.AcquiredItems.Count > 0 || work.Cancelled.Task.IsCompleted, $"claims lapsed at +{step + 1} ms with the work running");
        }

        Assert.True(work.Cancelled.Task.IsCompleted);
        Assert.Empty(partitioner.AcquiredItems);
    }

    [Fact]
    public async Task RunWithTokensAsync_HandsTheWorkEachItemWithItsFencingToken()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        var given = new TaskCompletionSource<IReadOnlyList<OwnedItem>>(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = partitioner.RunWithTokensAsync((owned, token) => { given.SetResult(owned); return Task.Delay(Timeout.Infinite, token); }, CancellationToken.None);

        _port.ChangeSession(SessionChange.Reconnected);

        Assert.Equal(Owned, await given.Task.WaitAsync(HangGuard));
        Assert.Equal(Owned, partitioner.OwnedItems);
    }

    [Fact]
    public void OwnedItems_WhenTheDeadlineHasPassed_IsEmptyLikeAcquiredItems()
    {
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.ChangeSession(SessionChange.Reconnected);
        Assert.Equal(Owned, partitioner.OwnedItems);

        _port.SyncAnswer = null;
        _time.Advance(TimeSpan.FromSeconds(10));

        Assert.Empty(partitioner.OwnedItems);
        Assert.Equal(PartitionState.Acquired, partitioner.State);
    }

    private Decision Released(MemberState state)
    {
        _releaseDecided.TrySetResult();
        return state.To(PartitionState.Allocating).Then();
    }

    /// <summary>A work that runs until its token is cancelled and records when, by the member's clock.</summary>
    private sealed class WorkProbe(ManualTimeProvider time)
    {
        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource<TimeSpan> Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public async Task RunAsync(IReadOnlyList<string> items, CancellationToken token)
        {
            var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using var registration = token.Register(() =>
            {
                Cancelled.TrySetResult(time.GetElapsedTime(0));
                cancelled.TrySetResult();
            });
            Started.SetResult();
            await cancelled.Task;
        }
    }
}
