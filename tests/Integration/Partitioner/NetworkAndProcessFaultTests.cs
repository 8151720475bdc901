using System.Collections.Immutable;
using System.Text.Json;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Faults that leave the server running: a member cut off by the TCP proxy, a member process killed or
/// stopped, a consumer slow to release, twenty members joining at once. Members use 2 s sessions (the
/// shared server allows sessions from 0.4 s), so an expiry takes about 2 s. Each test runs an
/// <see cref="OwnershipObserver"/> that fails it on any item owned twice, in both rebalance modes: eager members have the
/// test (or <see cref="SetPartitioner.RunAsync"/>) as their consumer, cooperative ones run per-item work
/// (<see cref="MemberGroup"/>, and <c>partitioner worker --rebalance cooperative</c>), which must never run on one item
/// in two members at once either.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class NetworkAndProcessFaultTests(ZooKeeperServerFixture server) : IDisposable
{
    private static readonly TimeSpan MemberSession = TimeSpan.FromSeconds(2);
    private readonly ChildProcesses _children = new();

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task ProxyCut_ShorterThanTheSessionTimeout_TheMemberKeepsItsSessionAndTheSharesReturn(RebalanceMode mode)
    {
        var items = Range(6);
        var path = server.UniqueRoot("cut-short");
        await using var proxy = TcpProxy.Start(server.Port);
        await using var group = await MemberGroup.Connect(server.ConnectString, path, mode);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        // A session well past the outage: the point is that it survives, and the outage is the 0.7 s pause plus
        // however long a loaded machine takes to notice the cut and to reconnect, which can pass a 2 s session.
        var cutClient = await Connect(proxy.ConnectString, MemberSession * 3);
        var sessionId = cutClient.SessionId;
        var a = group.Add(cutClient, "a", items);
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(a);
        observer.Watch(b);
        await group.Settle([a, b], items);

        proxy.RefuseNew = true;
        proxy.CutAll();
        await Eventually(() => cutClient.State == ZooKeeperState.Suspended, "a's client suspended");
        await Task.Delay(TimeSpan.FromMilliseconds(700)); // the outage, well inside the 6 s session
        proxy.RefuseNew = false;

        await Eventually(() => cutClient.State == ZooKeeperState.Connected, "a's client reconnected");
        Assert.Equal(sessionId, cutClient.SessionId);
        await group.Settle([a, b], items); // each with its share of the two again
        await observer.AssertNoViolations();
        group.Ledger.AssertNoOverlap();
    }

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task ProxyCut_LongerThanTheSessionTimeout_TheOtherTakesOverWhileTheCutMemberClaimsNothing_ThenItFails(RebalanceMode mode)
    {
        var items = Range(6);
        var path = server.UniqueRoot("cut-long");
        await using var proxy = TcpProxy.Start(server.Port);
        await using var group = await MemberGroup.Connect(server.ConnectString, path, mode);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var a = group.Add(await Connect(proxy.ConnectString, MemberSession), "a", items);
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(a);
        observer.Watch(b);
        await group.Settle([a, b], items);

        proxy.Blackhole(true);

        // a's session expires on the server, so b ends up with every item while a is still cut off.
        await group.Settle([b], items);
        Assert.Empty(a.AcquiredItems);
        Assert.False(a.Failed, "a cannot know yet that its session is gone");
        proxy.Blackhole(false);
        await Eventually(() => a.Failed, "a in Failure once it hears its session expired");
        Assert.Equal(items, (await group.Settle([b], items))[0]);
        await observer.AssertNoViolations();
        group.Ledger.AssertNoOverlap();
    }

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task WorkerKilledWithoutClosing_ItsItemsPassOnOnceItsSessionExpires(RebalanceMode mode)
    {
        var items = Range(6);
        var path = server.UniqueRoot("worker-kill");
        await using var group = await MemberGroup.Connect(server.ConnectString, path, mode);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var worker = StartWorker(path, items, "w", mode);
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(b);
        await SettleWithWorker(group, b, worker, items);

        worker.Kill();

        await group.Settle([b], items);
        await observer.AssertNoViolations();
        group.Ledger.AssertNoOverlap();
    }

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task WorkerPausedPastTheSessionTimeout_AfterResumingItNeverClaimsOwnership_AndFails(RebalanceMode mode)
    {
        var items = Range(6);
        var path = server.UniqueRoot("worker-pause");
        await using var group = await MemberGroup.Connect(server.ConnectString, path, mode);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var worker = StartWorker(path, items, "w", mode);
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(b);

        // Settled means the worker's last ownership line shows its share: the worker reports ownership from a poll,
        // after its state line, and pausing it between the poll's reading of its claims and its printing of them (the
        // first print is slow, its serializer still warming up) would print, after the resume, a line that describes
        // the instant before the pause.
        await SettleWithWorker(group, b, worker, items);
        Assert.NotEmpty(worker.LastOwnedItems);
        worker.Pause();
        await group.Settle([b], items); // only possible once the stopped worker's session has expired
        var seenBeforeResume = worker.Lines.Count;
        worker.Resume();

        await worker.WaitForExit("the worker exits once it learns its session expired");
        var afterResume = worker.Lines.Skip(seenBeforeResume).ToList();
        Assert.DoesNotContain(afterResume, line => IsEvent(line, "ownership") && line.GetProperty("items").GetArrayLength() > 0);
        Assert.DoesNotContain(afterResume, line => IsEvent(line, "state") && line.GetProperty("state").GetString() == "ACQUIRED");
        Assert.Contains(afterResume, line => IsEvent(line, "state") && line.GetProperty("state").GetString() == "FAILURE");
        Assert.DoesNotContain(afterResume, line => IsEvent(line, "assigned")); // the cooperative worker's per-item line
        Assert.Equal(items, (await group.Settle([b], items))[0]);
        await observer.AssertNoViolations();
        group.Ledger.AssertNoOverlap();
    }

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task SlowConsumer_ANewcomerNeverWorksOnAnItemBeforeTheSlowMemberHasStopped(RebalanceMode mode)
    {
        var items = Range(6);
        var path = server.UniqueRoot("slow");
        await using var group = await MemberGroup.Connect(server.ConnectString, path, mode);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var slow = group.Add("a-slow", items, workStopDelay: TimeSpan.FromSeconds(1.5));
        var quick = group.Add("b-quick", items, workStopDelay: TimeSpan.Zero);
        observer.Watch(slow);
        observer.Watch(quick);
        await group.Settle([slow, quick], items);

        var late = group.Add("c-late", items, workStopDelay: TimeSpan.Zero);
        observer.Watch(late);

        await group.Settle([slow, quick, late], items); // all three working, each on its share
        await group.StopLoops();
        group.Ledger.AssertNoOverlap();
        await observer.AssertNoViolations();
        if (mode == RebalanceMode.Cooperative)
        {
            AssertOnlyTheSlowMembersItemsWaitForIt(group.Ledger.Steps, items);
        }
    }

    [Theory]
    [InlineData(RebalanceMode.Eager)]
    [InlineData(RebalanceMode.Cooperative)]
    public async Task TwentyMembersJoinAtOnce_AllAcquireTheirShares(RebalanceMode mode)
    {
        var items = Range(50);
        var path = server.UniqueRoot("twenty");
        await using var group = await MemberGroup.Connect(server.ConnectString, path, mode);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Connect(server.ConnectString, TimeSpan.FromSeconds(5))));

        var members = clients.Select((c, i) => group.Add(c, $"m{i:00}", items)).ToList();
        members.ForEach(observer.Watch);

        // Each with its share under the mode's function (kazoo's written out in eager mode: items in code-point
        // order, "0", "1", "10", ..., every 20th from the member's index), and so within one item of 50 / 20.
        var shares = await group.Settle(members, items);
        Assert.All(shares, share => Assert.InRange(share.Count, 2, 3));

        await observer.AssertNoViolations();
        group.Ledger.AssertNoOverlap();
    }

    public void Dispose() => _children.Dispose();

    private static bool IsEvent(JsonElement line, string name) =>
        line.TryGetProperty("event", out var e) && e.GetString() == name;

    /// <summary>
    /// Waits until the worker and <paramref name="member"/> are both Acquired, the worker's last ownership line showing
    /// its share of the two and the member holding the rest (the group's Settle checks the member's share and work).
    /// </summary>
    private static async Task SettleWithWorker(MemberGroup group, SetPartitioner member, ChildProcess worker, ImmutableArray<string> items)
    {
        var party = new[] { member.Config.Identifier, worker.Name };
        var workerShare = Share(group.Mode, worker.Name, party, items);
        await Eventually(
            async () =>
            {
                await group.ReleaseWhereDue([member]);
                return worker.LastState == "ACQUIRED" && worker.LastOwnedItems.Order(StringComparer.Ordinal).SequenceEqual(workerShare);
            },
            $"the worker owning [{string.Join(',', workerShare)}] (worker: {worker.LastState}, {worker.StandardErrorTail()})");
        await group.Settle([member], items.Except(workerShare).ToList());
    }

    /// <summary>
    /// Cooperative mode: the items the quick member gives the newcomer do not wait for the slow member, whose work on
    /// the items it gives up takes 1.5 s to stop: the newcomer starts on each of them before any of the slow member's
    /// works has stopped.
    /// </summary>
    private static void AssertOnlyTheSlowMembersItemsWaitForIt(IReadOnlyList<WorkStep> steps, ImmutableArray<string> items)
    {
        string[] before = ["a-slow", "b-quick"], after = ["a-slow", "b-quick", "c-late"];
        var fromQuick = Share(RebalanceMode.Cooperative, "b-quick", before, items).Except(Share(RebalanceMode.Cooperative, "b-quick", after, items)).ToList();
        var fromSlow = Share(RebalanceMode.Cooperative, "a-slow", before, items).Except(Share(RebalanceMode.Cooperative, "a-slow", after, items)).ToList();
        Assert.NotEmpty(fromQuick);
        Assert.NotEmpty(fromSlow);
        var slowStopped = steps.ToList().FindIndex(s => s is { Owner: "a-slow", Kind: WorkStepKind.Stopped });
        Assert.True(slowStopped >= 0, "the slow member stopped nothing");
        foreach (var item in fromQuick)
        {
            var started = steps.ToList().FindIndex(s => s.Owner == "c-late" && s.Item == item && s.Kind == WorkStepKind.Started);
            Assert.True(started >= 0 && started < slowStopped, $"c-late started {item} at step {started}, the slow member's first stop was step {slowStopped}: {string.Join(" | ", steps)}");
        }
    }

    private ChildProcess StartWorker(string path, ImmutableArray<string> items, string identifier, RebalanceMode mode)
    {
        string[] cooperative = ["--rebalance", "cooperative", "--partition-function", "sticky"];
        return _children.Add(WorkerProcess.Start(server.ConnectString, path, items, identifier, NextPrefix(), MemberSession, mode == RebalanceMode.Cooperative ? cooperative : []));
    }
}
