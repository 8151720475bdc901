using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Port;
using static Partitioner.Tests.Shell.Waits;

namespace Partitioner.Tests.Shell;

/// <summary>
/// How the shell answers Core's StopItemWork, and the claim window of the per-item API, against a scripted decider:
/// a reconnect acquires a and b (tokens 41 and 57); a suspension revokes b (stop 77) and keeps a, as a cooperative
/// hand-off does; a release request goes back to Allocating. With a 9-second session and no tickTime given, the claim
/// window is 8.1 s after the last instant the leader confirmed.
/// </summary>
public sealed class ItemStopTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(8100);
    private static readonly ImmutableArray<OwnedItem> Owned = [new("a", 41), new("b", 57)];
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new() { SessionTimeout = TimeSpan.FromSeconds(9) };
    private readonly ScriptedDecider _decider = new();
    private readonly TaskCompletionSource _releaseDecided = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public ItemStopTests()
    {
        _decider.OnDecide = (state, e) => e switch
        {
            SessionReconnected => (state.To(PartitionState.Acquired, "a", "b") with { OwnedItems = Owned }).Then(),
            SessionSuspended => (state with { AcquiredItems = ["a"], OwnedItems = [Owned[0]] }).Then(new StopItemWork(77, "b")),
            ReleaseRequested => Released(state),
            _ => state.Then(),
        };
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
    }

    [Fact]
    public void StopItemWork_WithNoItemWorkRunning_IsAnsweredOnce_AfterTheRevokedHandlersReturned()
    {
        // Given an acquired member with a handler on ownership changes and no per-item loop.
        var partitioner = Shell.Start(_port, _time, _decider);
        var answersSeenByTheHandler = -1;
        var changes = new List<(string, long, ItemOwnershipChange)>();
        partitioner.ItemOwnershipChanged += (_, e) =>
        {
            changes.Add((e.Item, e.FencingToken, e.Change));
            if (e.Change == ItemOwnershipChange.Revoked)
            {
                answersSeenByTheHandler = Answers();
            }
        };
        _port.ChangeSession(SessionChange.Reconnected);

        // When Core revokes b.
        _port.ChangeSession(SessionChange.Suspended);

        // Then the handler was told b is revoked before the stop was answered, and it was answered once.
        Assert.Equal([("a", 41, ItemOwnershipChange.Assigned), ("b", 57, ItemOwnershipChange.Assigned), ("b", 57, ItemOwnershipChange.Revoked)], changes);
        Assert.Equal(0, answersSeenByTheHandler);
        Assert.Equal([new ItemWorkStopped(77)], _decider.Seen.OfType<ItemWorkStopped>());
    }

    [Fact]
    public async Task StopItemWork_WithTheItemsWorkRunning_IsAnsweredOnlyWhenThatWorkReturns()
    {
        // Given the per-item loop working on a and b, where b's work takes its time to return once told to stop.
        var partitioner = Shell.Start(_port, _time, _decider);
        var started = new Dictionary<string, ItemWork>();
        var bStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var bMayReturn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _ = partitioner.RunItemsAsync(
            async work =>
            {
                lock (started)
                {
                    started[work.Item] = work;
                }

                await WhenCancelled(work.Stopping);
                if (work.Item == "b")
                {
                    bStopped.SetResult();
                    await bMayReturn.Task;
                }
            },
            CancellationToken.None);
        _port.ChangeSession(SessionChange.Reconnected);
        await WaitUntil(() => Count(started) == 2);

        // When Core revokes b.
        _port.ChangeSession(SessionChange.Suspended);

        // Then b's work is told to stop, as revoked, with a's left running; nothing is answered while b's work runs.
        await bStopped.Task.WaitAsync(HangGuard);
        Assert.Equal(ItemStopReason.Revoked, started["b"].StopReason);
        Assert.Equal(ItemStopReason.None, started["a"].StopReason);
        Assert.Equal(0, Answers());

        // And once it returns, the stop is answered, once.
        bMayReturn.SetResult();
        await WaitUntil(() => Answers() == 1);
        await Task.Delay(50);
        Assert.Equal([new ItemWorkStopped(77)], _decider.Seen.OfType<ItemWorkStopped>());
        Assert.Equal(ItemStopReason.None, started["a"].StopReason);
    }

    [Fact]
    public async Task RunItemsAsync_WhenTheLeaderAnswersNothingForTheClaimWindow_StopsEveryWorkAsLostAtThatInstant_ThenReleases()
    {
        // Given the per-item loop working on a and b behind a follower cut from the leader, just reconnected.
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        var started = new Dictionary<string, ItemWork>();
        var stoppedAt = new List<TimeSpan>();
        var changes = new List<(string, ItemOwnershipChange)>();
        partitioner.ItemOwnershipChanged += (_, e) => changes.Add((e.Item, e.Change));
        var running = partitioner.RunItemsAsync(
            async work =>
            {
                lock (started)
                {
                    started[work.Item] = work;
                }

                await WhenCancelled(work.Stopping);
                lock (started)
                {
                    stoppedAt.Add(_time.GetElapsedTime(0));
                }
            },
            CancellationToken.None);
        _port.ChangeSession(SessionChange.Reconnected);
        await WaitUntil(() => Count(started) == 2);

        // When the leader stays silent for just under the window, the works go on.
        _time.Advance(Window - TimeSpan.FromTicks(1));
        await Task.Delay(50);
        Assert.Empty(stoppedAt);

        // Then at the end of the window both are stopped as lost, at that instant, with no session event.
        _time.Advance(TimeSpan.FromTicks(1));
        await WaitUntil(() => Count(started, stoppedAt) == 2);
        Assert.All(started.Values, w => Assert.Equal(ItemStopReason.Lost, w.StopReason));
        Assert.All(stoppedAt, at => Assert.Equal(Window, at));
        Assert.Equal([("a", ItemOwnershipChange.Assigned), ("b", ItemOwnershipChange.Assigned), ("a", ItemOwnershipChange.Lost), ("b", ItemOwnershipChange.Lost)], changes);
        Assert.DoesNotContain(_decider.Seen, e => e is SessionSuspended or SessionExpired);

        // And once both returned, the set is released, to be allocated again.
        await _releaseDecided.Task.WaitAsync(HangGuard);
        Assert.False(running.IsFaulted);
    }

    [Fact]
    public async Task RunItemsAsync_WhenTheClaimWindowIsClosedAtTheAcquisition_StartsNoWork_AndReleases()
    {
        // Given a member whose last confirmed instant is older than the claim window when it acquires a and b.
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        var started = new List<string>();
        var changes = new List<ItemOwnershipChange>();
        partitioner.ItemOwnershipChanged += (_, e) => changes.Add(e.Change);
        _ = partitioner.RunItemsAsync(work => { lock (started) { started.Add(work.Item); } return Task.CompletedTask; }, CancellationToken.None);
        _time.Advance(Window + TimeSpan.FromSeconds(1));

        // When Core acquires them.
        _port.ChangeSession(SessionChange.Reconnected);

        // Then nothing is assigned or worked on, and the set is released, to be allocated again.
        await _releaseDecided.Task.WaitAsync(HangGuard);
        Assert.Empty(changes);
        lock (started)
        {
            Assert.Empty(started);
        }
    }

    [Fact]
    public async Task RunItemsAsync_WhenAnItemArrivesAfterTheClaimWindowClosed_StartsNoWork_AndReleases()
    {
        // Given the per-item loop on an acquired member that holds nothing yet (a cooperative member with an empty share),
        // whose leader then stays silent past the claim window.
        _decider.OnDecide = (state, e) => e switch
        {
            SessionReconnected => state.To(PartitionState.Acquired).Then(),
            SessionSuspended => (state with { AcquiredItems = ["b"], OwnedItems = [Owned[1]] }).Then(),
            ReleaseRequested => Released(state),
            _ => state.Then(),
        };
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        var started = new List<string>();
        _ = partitioner.RunItemsAsync(work => { lock (started) { started.Add(work.Item); } return Task.CompletedTask; }, CancellationToken.None);
        _port.ChangeSession(SessionChange.Reconnected);
        await Task.Delay(50);
        _time.Advance(Window + TimeSpan.FromSeconds(1));

        // When Core claims b, which the member cannot claim any more.
        _port.ChangeSession(SessionChange.Suspended);

        // Then b is not worked on, and the set is released, to be allocated again.
        await _releaseDecided.Task.WaitAsync(HangGuard);
        lock (started)
        {
            Assert.Empty(started);
        }
    }

    private int Answers() => _decider.Seen.OfType<ItemWorkStopped>().Count();

    private Decision Released(MemberState state)
    {
        _releaseDecided.TrySetResult();
        return state.To(PartitionState.Allocating).Then();
    }

    private static int Count(Dictionary<string, ItemWork> started, List<TimeSpan>? list = null)
    {
        lock (started)
        {
            return list?.Count ?? started.Count;
        }
    }
}
