using Partitioner.Core;
using Partitioner.ZooKeeper;
using static Partitioner.Tests.Shell.Waits;

namespace Partitioner.Tests.Shell;

/// <summary>
/// The per-item work API (RunItemsAsync, ItemOwnershipChanged) running Core's real decider against the simulator's
/// in-memory ZooKeeper, in both rebalance modes. Items a..d are split round-robin by sorted identifier: alone, member
/// "0" owns all; with member "1" it keeps a and c (and b with three items goes to "1").
/// </summary>
public sealed class ItemWorkTests
{
    private readonly TreeParty _party = new();

    [Fact]
    public async Task RunItemsAsync_Cooperative_WhenAMemberJoins_RevokesOnlyTheMovingItem_AndNeverStopsTheStayingOnes()
    {
        // Given a cooperative member working on a, b and c, one work per item.
        var (first, _) = Join("0", RebalanceMode.Cooperative);
        var works = new Works();
        using var stop = new CancellationTokenSource();
        var running = first.RunItemsAsync(works.RunAsync, stop.Token);
        await _party.SettleAsync(() => works.Started.Count == 3);
        var before = works.Started.ToDictionary(w => w.Item);
        var states = new List<PartitionState>();
        first.StateChanged += (_, e) => states.Add(e.NewState);

        // When a second member joins and takes its share.
        var (second, _) = Join("1", RebalanceMode.Cooperative);
        await _party.SettleAsync(() => second.AcquiredItems.Contains("b"));

        // Then only b's work was stopped, as an orderly revocation, and the works of a and c never were; the member
        // stayed Acquired throughout; the new owner holds b with a higher token.
        Assert.Equal([("b", before["b"].FencingToken, ItemStopReason.Revoked)], works.Stopped);
        Assert.False(before["a"].Stopping.IsCancellationRequested);
        Assert.False(before["c"].Stopping.IsCancellationRequested);
        Assert.Equal(3, works.Started.Count);
        Assert.Empty(states);
        Assert.Equal(["a", "c"], first.AcquiredItems);
        Assert.True(second.OwnedItems.Single().FencingToken > before["b"].FencingToken);

        // And when the loop is cancelled, the remaining works stop as Finishing and the member finishes.
        await stop.CancelAsync();
        await running.WaitAsync(HangGuard);
        Assert.Equal(ItemStopReason.Finishing, before["a"].StopReason);
        Assert.Equal(ItemStopReason.Finishing, before["c"].StopReason);
        Assert.True(first.Failed);
        Assert.Equal([$"{TreeParty.Prefix(2)}-1"], _party.Tree.ChildrenOf("/party/party"));
    }

    [Fact]
    public async Task RunItemsAsync_Cooperative_ARevokedItemsLockNodeGoesOnlyOnceItsWorkReturned_DelayingOnlyThatItem()
    {
        // Given a cooperative member working on a, b, c and d, whose work on b will take its time to stop.
        string[] items = ["a", "b", "c", "d"];
        var (first, _) = Join("0", RebalanceMode.Cooperative, items);
        var works = new Works();
        var slowB = works.HoldAfterStop("b");
        _ = first.RunItemsAsync(works.RunAsync, CancellationToken.None);
        await _party.SettleAsync(() => works.Started.Count == 4);
        var tokenB = works.Started.Single(w => w.Item == "b").FencingToken;

        // When a second member joins: b and d leave the first member's share.
        var (second, _) = Join("1", RebalanceMode.Cooperative, items);

        // Then d, whose work returned at once, goes to the new member, while b waits: the first member's lock node for
        // b is still the lowest, though b's work was told to stop, and a long while passes.
        await _party.SettleAsync(() => second.AcquiredItems.Contains("d"));
        await AdvanceAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(ItemStopReason.Revoked, works.Started.Single(w => w.Item == "b").StopReason);
        Assert.StartsWith(TreeParty.Prefix(1), _party.Tree.ChildrenOf("/party/locks/b")[0], StringComparison.Ordinal);
        Assert.Equal(["d"], second.AcquiredItems);
        Assert.Equal(["a", "c"], first.AcquiredItems);

        // And once b's work returns, its node goes and the new member takes b, with a higher token.
        slowB.SetResult();
        await _party.SettleAsync(() => second.AcquiredItems.Contains("b"));
        Assert.DoesNotContain(_party.Tree.ChildrenOf("/party/locks/b"), node => node.StartsWith(TreeParty.Prefix(1), StringComparison.Ordinal));
        Assert.True(second.OwnedItems.Single(o => o.Name == "b").FencingToken > tokenB);
    }

    [Fact]
    public async Task ItemOwnershipChanged_Cooperative_TellsAssignedRevokedAndLost_WithTheLockNodesTokens()
    {
        // Given a cooperative member, with no per-item loop, recording its ownership changes; on b's revocation it
        // checks that b's lock node is still there while its handler runs.
        var (first, firstPort) = Join("0", RebalanceMode.Cooperative);
        var changes = new List<(string Item, long Token, ItemOwnershipChange Change)>();
        bool? nodeDuringRevoked = null;
        first.ItemOwnershipChanged += (_, e) =>
        {
            changes.Add((e.Item, e.FencingToken, e.Change));
            if (e.Change == ItemOwnershipChange.Revoked)
            {
                nodeDuringRevoked = _party.Tree.ChildrenOf($"/party/locks/{e.Item}").Any(n => n.StartsWith(TreeParty.Prefix(1), StringComparison.Ordinal));
            }
        };
        await _party.SettleAsync(() => first.Acquired);
        var tokens = new[] { "a", "b", "c" }.ToDictionary(item => item, item => LockZxid(item, 1));
        Assert.Equal([("a", tokens["a"], ItemOwnershipChange.Assigned), ("b", tokens["b"], ItemOwnershipChange.Assigned), ("c", tokens["c"], ItemOwnershipChange.Assigned)], changes);

        // When a second member joins, it is told of b only, with b's new lock node's token.
        var (second, _) = Join("1", RebalanceMode.Cooperative);
        var secondChanges = new List<(string Item, long Token, ItemOwnershipChange Change)>();
        second.ItemOwnershipChanged += (_, e) => secondChanges.Add((e.Item, e.FencingToken, e.Change));
        await _party.SettleAsync(() => second.AcquiredItems.Contains("b"));

        // Then the first member was told b is revoked, with its token, while its lock node still stood; the node
        // went once the handler had returned.
        Assert.Equal(("b", tokens["b"], ItemOwnershipChange.Revoked), changes[3]);
        Assert.Equal(4, changes.Count);
        Assert.True(nodeDuringRevoked);
        Assert.Equal([("b", LockZxid("b", 2), ItemOwnershipChange.Assigned)], secondChanges);
        Assert.True(secondChanges[0].Token > tokens["b"]);

        // And when the first member's connection is lost, a and c are lost, with their tokens.
        firstPort.Suspend();
        Assert.Equal([("a", tokens["a"], ItemOwnershipChange.Lost), ("c", tokens["c"], ItemOwnershipChange.Lost)], changes[4..]);
    }

    [Fact]
    public async Task RunItemsAsync_WhenTheConnectionIsLost_StopsEveryWorkAsLost_ThenReleasesAndWorksAgainWithNewTokens()
    {
        // Given a cooperative member working on a, b and c.
        var (first, port) = Join("0", RebalanceMode.Cooperative);
        var works = new Works();
        var lost = new List<(string Item, ItemOwnershipChange Change)>();
        first.ItemOwnershipChanged += (_, e) => lost.Add((e.Item, e.Change));
        _ = first.RunItemsAsync(works.RunAsync, CancellationToken.None);
        await _party.SettleAsync(() => works.Started.Count == 3);
        var before = works.Started.ToList();

        // When its connection is lost and comes back.
        port.Suspend();
        port.Reconnect();

        // Then every work was stopped as Lost; once all returned the set was released and taken again, each item with
        // a new work and a higher token.
        await _party.SettleAsync(() => works.Started.Count == 6);
        Assert.All(before, w => Assert.Equal(ItemStopReason.Lost, w.StopReason));
        var after = works.Started.Skip(3).ToDictionary(w => w.Item);
        Assert.All(before, w => Assert.True(after[w.Item].FencingToken > w.FencingToken));
        Assert.Equal(["a", "b", "c"], lost.Where(c => c.Change == ItemOwnershipChange.Lost).Select(c => c.Item));
    }

    [Fact]
    public async Task RunItemsAsync_Eager_WhenAMemberJoins_RevokesEveryItem_ThenReleasesAndWorksOnTheNewShare()
    {
        // Given an eager member working on a, b and c, one work per item.
        var (first, _) = Join("0", RebalanceMode.Eager);
        var works = new Works();
        _ = first.RunItemsAsync(works.RunAsync, CancellationToken.None);
        await _party.SettleAsync(() => works.Started.Count == 3);
        var before = works.Started.ToList();

        // When a second member joins.
        var (second, _) = Join("1", RebalanceMode.Eager);
        await _party.SettleAsync(() => second.Acquired && works.Started.Count == 5);

        // Then every work was stopped as an orderly revocation (the locks stood until the release), and the new share
        // got new works with higher tokens.
        Assert.All(before, w => Assert.Equal(ItemStopReason.Revoked, w.StopReason));
        var after = works.Started.Skip(3).ToList();
        Assert.Equal(["a", "c"], after.Select(w => w.Item));
        Assert.All(after, w => Assert.True(w.FencingToken > before.Single(b => b.Item == w.Item).FencingToken));
        Assert.Equal(["b"], second.AcquiredItems);
    }

    [Fact]
    public async Task RunItemsAsync_WhenAWorkThrows_StopsTheOthers_FinishesTheMember_AndThrowsIt()
    {
        // Given a member working on a, b and c, whose work on b will throw once a has started.
        var (first, _) = Join("0", RebalanceMode.Cooperative);
        var works = new Works();
        var failure = new InvalidOperationException("b broke");
        var breakB = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var running = first.RunItemsAsync(
            async work =>
            {
                if (work.Item == "b")
                {
                    await breakB.Task;
                    throw failure;
                }

                await works.RunAsync(work);
            },
            CancellationToken.None);
        await _party.SettleAsync(() => works.Started.Count == 2);

        // When b's work throws.
        breakB.SetResult();

        // Then the others are stopped as Finishing, the member finishes (its nodes deleted), and the error is thrown.
        var thrown = await Assert.ThrowsAsync<InvalidOperationException>(() => running.WaitAsync(HangGuard));
        Assert.Same(failure, thrown);
        Assert.All(works.Started, w => Assert.Equal(ItemStopReason.Finishing, w.StopReason));
        Assert.Equal(2, works.Stopped.Count);
        Assert.True(first.Failed);
        Assert.Empty(_party.Tree.ChildrenOf("/party/party"));
        Assert.All(new[] { "a", "b", "c" }, item => Assert.Empty(_party.Tree.ChildrenOf($"/party/locks/{item}")));
    }

    [Fact]
    public void RunAsync_AndRunWithTokensAsync_InCooperativeMode_RefuseNamingTheModeAndRunItemsAsync()
    {
        var (member, _) = Join("0", RebalanceMode.Cooperative);

        var set = Assert.Throws<InvalidOperationException>(() => { _ = member.RunAsync((_, _) => Task.CompletedTask, CancellationToken.None); });
        var tokens = Assert.Throws<InvalidOperationException>(() => { _ = member.RunWithTokensAsync((_, _) => Task.CompletedTask, CancellationToken.None); });

        Assert.All(new[] { set, tokens }, e =>
        {
            Assert.Contains("Cooperative", e.Message, StringComparison.Ordinal);
            Assert.Contains("RunItemsAsync", e.Message, StringComparison.Ordinal);
        });
        Assert.True(member.Allocating);
    }

    [Fact]
    public async Task RunItemsAsync_WhileALoopRuns_RefusesASecond_AndTakesOneOnceTheFirstEnded()
    {
        var (member, _) = Join("0", RebalanceMode.Cooperative);
        using var stop = new CancellationTokenSource();
        var first = member.RunItemsAsync(_ => Task.CompletedTask, stop.Token);

        var error = Assert.Throws<InvalidOperationException>(() => { _ = member.RunItemsAsync(_ => Task.CompletedTask, CancellationToken.None); });

        Assert.Contains("already runs", error.Message, StringComparison.Ordinal);
        await stop.CancelAsync();
        await first.WaitAsync(HangGuard);
        await member.RunItemsAsync(_ => Task.CompletedTask, CancellationToken.None).WaitAsync(HangGuard);
    }

    [Fact]
    public async Task EventLog_OfACooperativeHandOff_RecordsTheModeAndTheStops_AndReplaysExactly()
    {
        // Given a cooperative member recording its decisions through a join that revokes b, then a finish.
        var writer = new StringWriter();
        var (first, _) = Join("0", RebalanceMode.Cooperative, log: new JsonLinesEventLogSink(writer));
        var works = new Works();
        using var stop = new CancellationTokenSource();
        var running = first.RunItemsAsync(works.RunAsync, stop.Token);
        await _party.SettleAsync(() => works.Started.Count == 3);
        var (second, _) = Join("1", RebalanceMode.Cooperative);
        await _party.SettleAsync(() => second.AcquiredItems.Contains("b"));
        await stop.CancelAsync();
        await running.WaitAsync(HangGuard);
        var log = writer.ToString();

        // When the log is replayed by the public replayer, which runs Core's decider.
        var result = new EventLogReplayer().Replay(new StringReader(log));

        // Then the header names the mode, the stop and its answer are recorded, and Core made every decision again.
        Assert.Contains("\"rebalance\":\"Cooperative\"", log.Split('\n')[0], StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"StopItemWork\",", log, StringComparison.Ordinal);
        Assert.Contains("\"event\":{\"type\":\"ItemWorkStopped\",", log, StringComparison.Ordinal);
        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Equal([PartitionState.Allocating, PartitionState.Acquired, PartitionState.Failure], result.Timeline.Select(t => t.State));

        // And without the mode in its header the same log replays as eager, which decides otherwise: the replay ran
        // the mode the header names.
        var asEager = new EventLogReplayer().Replay(new StringReader(log.Replace(",\"rebalance\":\"Cooperative\"", "", StringComparison.Ordinal)));
        Assert.False(asEager.Succeeded);
    }

    private (SetPartitioner Partitioner, TreePort Port) Join(string identifier, RebalanceMode mode, string[]? items = null, IEventLogSink? log = null) =>
        _party.Join(identifier, items, options =>
        {
            options.Rebalance = mode;
            options.EventLog = log;
        });

    /// <summary>The creation zxid of the lock node of member <paramref name="session"/> for <paramref name="item"/>: its fencing token.</summary>
    private long LockZxid(string item, long session)
    {
        var node = _party.Tree.ChildrenOf($"/party/locks/{item}").Single(n => n.StartsWith(TreeParty.Prefix(session), StringComparison.Ordinal));
        return _party.Tree.CreatedZxidOf($"/party/locks/{item}/{node}")!.Value;
    }

    private async Task AdvanceAsync(TimeSpan duration)
    {
        for (var passed = TimeSpan.Zero; passed < duration; passed += TimeSpan.FromMilliseconds(100))
        {
            _party.Time.Advance(TimeSpan.FromMilliseconds(100));
            await Task.Delay(1);
        }
    }

    /// <summary>Per-item works that run until told to stop, recording what they were handed and why they stopped.</summary>
    private sealed class Works
    {
        private readonly object _gate = new();
        private readonly List<ItemWork> _started = [];
        private readonly List<(string Item, long Token, ItemStopReason Reason)> _stopped = [];
        private readonly Dictionary<string, TaskCompletionSource> _holds = [];

        public IReadOnlyList<ItemWork> Started
        {
            get
            {
                lock (_gate)
                {
                    return [.. _started];
                }
            }
        }

        public IReadOnlyList<(string Item, long Token, ItemStopReason Reason)> Stopped
        {
            get
            {
                lock (_gate)
                {
                    return [.. _stopped];
                }
            }
        }

        /// <summary>The work on <paramref name="item"/> returns only when the task given back is completed, after being told to stop.</summary>
        public TaskCompletionSource HoldAfterStop(string item)
        {
            var hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_gate)
            {
                _holds[item] = hold;
            }

            return hold;
        }

        public async Task RunAsync(ItemWork work)
        {
            lock (_gate)
            {
                _started.Add(work);
            }

            var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (work.Stopping.Register(stopped.SetResult))
            {
                await stopped.Task;
            }

            TaskCompletionSource? hold;
            lock (_gate)
            {
                _holds.TryGetValue(work.Item, out hold);
            }

            if (hold is not null)
            {
                await hold.Task;
            }

            lock (_gate)
            {
                _stopped.Add((work.Item, work.FencingToken, work.StopReason));
            }
        }
    }
}
