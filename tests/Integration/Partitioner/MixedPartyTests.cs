using System.Collections.Immutable;
using System.Text.Json;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// C# members and Python kazoo members (Debian's python3-kazoo, driven by <c>Kazoo/kazoo_member.py</c>) in one
/// party: they agree on the shares through joins and leaves of either kind, and a kazoo Lock and a C# member
/// wait for each other on the same item.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class MixedPartyTests(ZooKeeperServerFixture server) : IDisposable
{
    // Items whose code-point order differs from a culture-aware one, so that both sides must sort as Python does.
    private static readonly ImmutableArray<string> Items = ["b", "B", "a", "Z", "é", "1", "zz", "e", "Ä", "_"];
    private readonly ChildProcesses _children = new();

    [Fact]
    public async Task MixedParty_CSharpAndKazooMembers_AgreeOnEveryShare_AsMembersOfEitherKindJoinAndLeave()
    {
        var path = server.UniqueRoot("mixed");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var cs1 = group.Add("cs-1", Items);
        var py1 = StartKazooMember(path, "py-1");
        var py2 = StartKazooMember(path, "py-2");
        await AssertAgreement([cs1], [py1, py2]);

        var cs2 = group.Add("cs-2", Items);
        await AssertAgreement([cs1, cs2], [py1, py2]);

        py1.Send("finish");
        await py1.WaitForExit("py-1 left the party");
        await AssertAgreement([cs1, cs2], [py2]);

        await cs1.FinishAsync().WaitAsync(WaitMax);
        var py3 = StartKazooMember(path, "py-0");
        await AssertAgreement([cs2], [py2, py3]);
    }

    [Fact]
    public async Task MixedParty_WhenMembersOfEitherKindAreKilled_TheSurvivorsAgreeOnTheirItems_WithNoItemOwnedTwice()
    {
        var path = server.UniqueRoot("mixed-kill");
        var session = TimeSpan.FromSeconds(2);
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, Items);
        var cs1 = group.Add(await Connect(server.ConnectString, session), "cs-1", Items);
        observer.Watch(cs1);
        var py1 = StartKazooMember(path, "py-1", session);
        var worker = WorkerProcess.Start(server.ConnectString, path, Items, "cs-worker", NextPrefix(), session);
        _children.Add(worker);
        await AssertAgreement([cs1], [py1, worker]);

        py1.Kill();
        await AssertAgreement([cs1], [worker]);

        worker.Kill();
        var py2 = StartKazooMember(path, "py-2", session);
        await AssertAgreement([cs1], [py2]);
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task KazooLockHeld_ACSharpMemberWaitsForIt_AndTakesTheItemWhenKazooReleases()
    {
        var path = server.UniqueRoot("mixed-lock1");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var kazooLock = StartKazooLock($"{path}/locks/a");
        await kazooLock.WaitForLine(Is("acquired"), "kazoo holds the lock");

        var member = group.Add("cs", ["a"]);

        Assert.False(await member.WaitForAcquireAsync(TimeSpan.FromSeconds(1)), "acquired an item whose lock kazoo holds");
        kazooLock.Send("release");
        await kazooLock.WaitForLine(Is("released"), "kazoo released the lock");
        await member.AssertAcquires();
        Assert.Equal(["a"], member.AcquiredItems);
    }

    [Fact]
    public async Task CSharpMemberHoldsTheItem_AKazooLockWaitsForIt_AndGetsItWhenTheMemberLeaves()
    {
        var path = server.UniqueRoot("mixed-lock2");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var member = group.Add("cs", ["a"]);
        await member.AssertAcquires();

        var kazooLock = StartKazooLock($"{path}/locks/a");
        await kazooLock.WaitForLine(Is("waiting"), "kazoo started waiting");
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.DoesNotContain(kazooLock.Lines, line => Is("acquired")(line));
        Assert.True(member.Acquired);

        await member.FinishAsync().WaitAsync(WaitMax);
        await kazooLock.WaitForLine(Is("acquired"), "kazoo took the lock after the member left");
    }

    public void Dispose() => _children.Dispose();

    /// <summary>kazoo's default partition function, written out here: the sorted items, every n-th from the member's index.</summary>
    private static string[] ExpectedShare(string identifier, IEnumerable<string> members)
    {
        var sortedMembers = members.Order(StringComparer.Ordinal).ToList();
        var index = sortedMembers.IndexOf(identifier);
        return [.. Items.Order(StringComparer.Ordinal).Where((_, k) => k % sortedMembers.Count == index)];
    }

    private static Func<JsonElement, bool> Is(string eventName) =>
        line => line.TryGetProperty("event", out var e) && e.GetString() == eventName;

    /// <summary>Waits until every member of both kinds reports Acquired with the share kazoo's function gives it.</summary>
    private static async Task AssertAgreement(IReadOnlyList<SetPartitioner> csharp, IReadOnlyList<ChildProcess> kazoo)
    {
        var ids = csharp.Select(m => m.Config.Identifier).Concat(kazoo.Select(k => k.Name)).ToList();
        IReadOnlyList<IReadOnlyList<string>>? shares = null;
        IReadOnlyList<IReadOnlyList<string>> kazooShares = [];
        await Eventually(
            async () =>
            {
                await Task.WhenAll(csharp.Where(m => m.Release).Select(m => m.ReleaseSetAsync())).WaitAsync(WaitMax);
                shares = SharesWhileAcquired(csharp);
                kazooShares = [.. kazoo.Select(k => k.LastItems)];
                return shares is not null
                    && csharp.Select((m, i) => shares[i].SequenceEqual(ExpectedShare(m.Config.Identifier, ids))).All(agreed => agreed)
                    && kazoo.All(k => k.LastState == "ACQUIRED") && kazoo.Select((k, i) => kazooShares[i].SequenceEqual(ExpectedShare(k.Name, ids))).All(agreed => agreed);
            },
            $"members {string.Join(", ", ids)} all Acquired with agreed shares; kazoo: {string.Join("; ", kazoo.Select(k => $"{k.Name} {k.LastState} [{string.Join(",", k.LastItems)}] {k.StandardErrorTail()}"))}");
        AssertDisjointCover(
            csharp.Select((m, i) => (m.Config.Identifier, shares![i])).Concat(kazoo.Select((k, i) => (k.Name, kazooShares[i]))),
            Items);
    }

    private ChildProcess StartKazooMember(string path, string identifier, TimeSpan? sessionTimeout = null) =>
        _children.Add(ChildProcess.StartKazooMember(
            server.ConnectString, path, Items, identifier, environment: null,
            "--session-timeout", (sessionTimeout ?? TimeSpan.FromSeconds(10)).TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture)));

    private ChildProcess StartKazooLock(string lockPath) =>
        _children.Add(ChildProcess.Start(
            "kazoo-lock", "/usr/bin/python3", ChildProcess.SourceFile("tests/Integration/Kazoo/kazoo_lock.py"),
            "--hosts", server.ConnectString, "--path", lockPath));
}
