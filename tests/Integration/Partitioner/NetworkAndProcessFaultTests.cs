using System.Collections.Immutable;
using System.Text.Json;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Faults that leave the server running: a member cut off by the TCP proxy, a member process killed or
/// stopped, a consumer slow to release, twenty members joining at once. Members use 2 s sessions (the
/// shared server allows sessions from 0.4 s), so an expiry takes about 2 s. Each test runs an
/// <see cref="OwnershipObserver"/> that fails it on any item owned twice.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class NetworkAndProcessFaultTests(ZooKeeperServerFixture server) : IDisposable
{
    private static readonly TimeSpan MemberSession = TimeSpan.FromSeconds(2);
    private readonly List<ChildProcess> _children = [];

    [Fact]
    public async Task ProxyCut_ShorterThanTheSessionTimeout_TheMemberKeepsItsSessionAndTheSharesReturn()
    {
        var items = Range(6);
        var path = server.UniqueRoot("cut-short");
        await using var proxy = TcpProxy.Start(server.Port);
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        // A session well past the outage: the point is that it survives, and the outage is the 0.7 s pause plus
        // however long a loaded machine takes to notice the cut and to reconnect, which can pass a 2 s session.
        var cutClient = await Connect(proxy.ConnectString, MemberSession * 3);
        var sessionId = cutClient.SessionId;
        var a = group.Add(cutClient, "a", items);
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(a);
        observer.Watch(b);
        await Settle([a, b], items);

        proxy.RefuseNew = true;
        proxy.CutAll();
        await Eventually(() => cutClient.State == ZooKeeperState.Suspended, "a's client suspended");
        await Task.Delay(TimeSpan.FromMilliseconds(700)); // the outage, well inside the 6 s session
        proxy.RefuseNew = false;

        await Eventually(() => cutClient.State == ZooKeeperState.Connected, "a's client reconnected");
        Assert.Equal(sessionId, cutClient.SessionId);
        var shares = await Settle([a, b], items);
        Assert.Equal(["0", "2", "4"], shares[0]);
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task ProxyCut_LongerThanTheSessionTimeout_TheOtherTakesOverWhileTheCutMemberClaimsNothing_ThenItFails()
    {
        var items = Range(6);
        var path = server.UniqueRoot("cut-long");
        await using var proxy = TcpProxy.Start(server.Port);
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var a = group.Add(await Connect(proxy.ConnectString, MemberSession), "a", items);
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(a);
        observer.Watch(b);
        await Settle([a, b], items);

        proxy.Blackhole(true);

        // a's session expires on the server, so b ends up with every item while a is still cut off.
        await Settle([b], items);
        Assert.Empty(a.AcquiredItems);
        Assert.False(a.Failed, "a cannot know yet that its session is gone");
        proxy.Blackhole(false);
        await Eventually(() => a.Failed, "a in Failure once it hears its session expired");
        Assert.Equal(items, (await Settle([b], items))[0]);
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task WorkerKilledWithoutClosing_ItsItemsPassOnOnceItsSessionExpires()
    {
        var items = Range(6);
        var path = server.UniqueRoot("worker-kill");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var worker = StartWorker(path, items, "w");
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(b);
        await SettleWithWorker(b, worker, items);

        worker.Kill();

        await Settle([b], items);
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task WorkerPausedPastTheSessionTimeout_AfterResumingItNeverClaimsOwnership_AndFails()
    {
        var items = Range(6);
        var path = server.UniqueRoot("worker-pause");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var worker = StartWorker(path, items, "w");
        var b = group.Add(await Connect(server.ConnectString, MemberSession), "b", items);
        observer.Watch(b);
        await SettleWithWorker(b, worker, items);
        Assert.NotEmpty(worker.LastItems);

        // The worker reports ownership from a poll, after its state line: pausing it between the poll's reading
        // of its claims and its printing of them (the first print is slow, its serializer still warming up) would
        // print, after the resume, a line that describes the instant before the pause.
        await Eventually(
            () => worker.Lines.LastOrDefault(line => IsEvent(line, "ownership")) is { ValueKind: System.Text.Json.JsonValueKind.Object } last
                && last.GetProperty("items").GetArrayLength() == worker.LastItems.Count,
            "the worker to report that it owns its items");
        worker.Pause();
        await Settle([b], items); // only possible once the stopped worker's session has expired
        var seenBeforeResume = worker.Lines.Count;
        worker.Resume();

        await worker.WaitForExit("the worker exits once it learns its session expired");
        var afterResume = worker.Lines.Skip(seenBeforeResume).ToList();
        Assert.DoesNotContain(afterResume, line => IsEvent(line, "ownership") && line.GetProperty("items").GetArrayLength() > 0);
        Assert.DoesNotContain(afterResume, line => IsEvent(line, "state") && line.GetProperty("state").GetString() == "ACQUIRED");
        Assert.Contains(afterResume, line => IsEvent(line, "state") && line.GetProperty("state").GetString() == "FAILURE");
        Assert.Equal(items, (await Settle([b], items))[0]);
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task SlowConsumer_ANewcomerNeverWorksOnAnItemBeforeTheSlowMemberHasStopped()
    {
        var items = Range(6);
        var path = server.UniqueRoot("slow");
        var ledger = new WorkLedger();
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        using var stop = new CancellationTokenSource();
        var slow = group.Add("a-slow", items);
        var quick = group.Add("b-quick", items);
        observer.Watch(slow);
        observer.Watch(quick);
        var loops = new List<Task>
        {
            slow.RunAsync(ledger.Work("a-slow", TimeSpan.FromSeconds(1.5)), stop.Token),
            quick.RunAsync(ledger.Work("b-quick", TimeSpan.Zero), stop.Token),
        };
        await Eventually(() => ledger.Snapshot().Count == items.Length, "every item worked on");

        var late = group.Add("c-late", items);
        observer.Watch(late);
        loops.Add(late.RunAsync(ledger.Work("c-late", TimeSpan.Zero), stop.Token));

        await Eventually(() => ledger.Snapshot().Values.Distinct().Count() == 3 && ledger.Snapshot().Count == items.Length, "all three working, on every item");
        Assert.Equal(["0", "3"], slow.AcquiredItems);
        await stop.CancelAsync();
        await Task.WhenAll(loops).WaitAsync(WaitMax);
        ledger.AssertNoOverlap();
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task TwentyMembersJoinAtOnce_AllAcquireTheirRoundRobinShares()
    {
        var items = Range(50);
        var path = server.UniqueRoot("twenty");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, items);
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Connect(server.ConnectString, TimeSpan.FromSeconds(5))));

        var members = clients.Select((c, i) => group.Add(c, $"m{i:00}", items)).ToList();
        members.ForEach(observer.Watch);

        var shares = await Settle(members, items);
        for (var i = 0; i < members.Count; i++)
        {
            // kazoo's function, written out: items in code-point order ("0", "1", "10", ...), every 20th from the member's index.
            Assert.Equal(items.Order(StringComparer.Ordinal).Where((_, k) => k % 20 == i), shares[i]);
        }

        await observer.AssertNoViolations();
    }

    public void Dispose()
    {
        foreach (var child in _children)
        {
            child.Dispose();
        }
    }

    private static bool IsEvent(JsonElement line, string name) =>
        line.TryGetProperty("event", out var e) && e.GetString() == name;

    /// <summary>Waits until the worker and <paramref name="member"/> are both Acquired with disjoint shares covering the items.</summary>
    private static async Task SettleWithWorker(SetPartitioner member, ChildProcess worker, ImmutableArray<string> items)
    {
        await Eventually(
            async () =>
            {
                if (member.Release)
                {
                    await member.ReleaseSetAsync().WaitAsync(WaitMax);
                }

                return member.Acquired && worker.LastState == "ACQUIRED"
                    && member.AcquiredItems.Concat(worker.LastItems).Order(StringComparer.Ordinal).SequenceEqual(items.Order(StringComparer.Ordinal));
            },
            $"the worker and {member.Config.Identifier} sharing every item (worker: {worker.LastState}, {worker.StandardErrorTail()})");
    }

    private ChildProcess StartWorker(string path, ImmutableArray<string> items, string identifier)
    {
        var worker = WorkerProcess.Start(server.ConnectString, path, items, identifier, NextPrefix(), MemberSession);
        _children.Add(worker);
        return worker;
    }
}
