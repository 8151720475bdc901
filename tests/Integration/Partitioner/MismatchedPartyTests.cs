using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Members of one path that disagree on the rebalance mode, on a real server: a cooperative member that meets a kazoo
/// member (Debian's python3-kazoo, <c>Kazoo/kazoo_member.py</c>) or an eager member of this library fails with a
/// reason naming it, takes nothing, and leaves, so the others go on with every item instead of stalling (kazoo issue
/// #392). Cooperative members that agree read each other's declarations through the real client's multiRead and
/// acquire, and an eager member's party node data stays kazoo's: its identifier alone.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class MismatchedPartyTests(ZooKeeperServerFixture server) : IDisposable
{
    private static readonly ImmutableArray<string> Items = ["a", "b", "c", "d", "e", "f"];
    private readonly ChildProcesses _children = new();

    [Fact]
    public async Task CooperativeMember_WithAKazooMember_FailsNamingIt_AndTheKazooMemberEndsWithEveryItem()
    {
        var path = server.UniqueRoot("mismatch-kazoo");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var kazoo = StartKazooMember(path, "py-1");
        await Eventually(() => kazoo.LastState == "ACQUIRED" && kazoo.LastItems.SequenceEqual(Items), "py-1 acquires every item");

        await using var cooperative = new SetPartitioner(group.Shared, path, Items, CooperativeOptions("cs-co", out string prefix));

        await Eventually(() => cooperative.Failed, "cs-co fails");
        Assert.Equal(
            $"member \"py-1\" of {path} declares nothing (an eager member of this library, or a kazoo member); this member is cooperative: "
            + "the members of one path must agree on the rebalance mode, the partition function and the items",
            cooperative.FailureReason);
        await AssertHoldsNoLock(group, path, prefix);
        await Eventually(() => !PartyMembers(group.Shared, path).Result.Contains("cs-co"), "cs-co leaves the party");
        await Eventually(
            () => kazoo.LastState == "ACQUIRED" && kazoo.LastItems.SequenceEqual(Items),
            "py-1 acquires every item again");
    }

    [Fact]
    public async Task KazooMember_JoiningAnAcquiredCooperativeMember_FailsItNamingTheKazooMember_AndTheKazooMemberEndsWithEveryItem()
    {
        var path = server.UniqueRoot("mismatch-kazoo-late");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var cooperative = new SetPartitioner(group.Shared, path, Items, CooperativeOptions("cs-co", out string prefix));
        var revoked = new List<string>();
        cooperative.ItemOwnershipChanged += (_, e) =>
        {
            lock (revoked)
            {
                if (e.Change == ItemOwnershipChange.Revoked)
                {
                    revoked.Add(e.Item);
                }
            }
        };
        await Eventually(() => cooperative.AcquiredItems.SequenceEqual(Items), "cs-co acquires every item");

        var kazoo = StartKazooMember(path, "py-1");

        await Eventually(() => cooperative.Failed, "cs-co fails");
        Assert.StartsWith($"member \"py-1\" of {path} declares nothing (an eager member of this library, or a kazoo member); this member is cooperative", cooperative.FailureReason, StringComparison.Ordinal);
        lock (revoked)
        {
            Assert.Empty(revoked);
        }

        await AssertHoldsNoLock(group, path, prefix);
        await Eventually(() => kazoo.LastState == "ACQUIRED" && kazoo.LastItems.SequenceEqual(Items), "py-1 acquires every item");
    }

    [Fact]
    public async Task CooperativeMember_WithAnEagerMember_FailsNamingIt_AndTheEagerMemberKeepsKazoosDataAndEndsWithEveryItem()
    {
        var path = server.UniqueRoot("mismatch-eager");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        var eager = group.Add("cs-eager", Items);
        await eager.AssertAcquires();
        Assert.Equal(Encoding.UTF8.GetBytes("cs-eager"), await PartyNodeData(group, path, "cs-eager"));

        await using var cooperative = new SetPartitioner(group.Shared, path, Items, CooperativeOptions("cs-co", out string prefix));

        await Eventually(() => cooperative.Failed, "cs-co fails");
        Assert.StartsWith($"member \"cs-eager\" of {path} declares nothing (an eager member of this library, or a kazoo member); this member is cooperative", cooperative.FailureReason, StringComparison.Ordinal);
        await AssertHoldsNoLock(group, path, prefix);
        await Eventually(
            async () =>
            {
                if (eager.Release)
                {
                    await eager.ReleaseSetAsync().WaitAsync(WaitMax);
                }

                return eager.Acquired && eager.AcquiredItems.SequenceEqual(Items);
            },
            "cs-eager acquires every item again");
    }

    [Fact]
    public async Task CooperativeMembers_ThatAgree_ReadEachOthersDeclarationsAndShareTheItems()
    {
        var path = server.UniqueRoot("agree-cooperative");
        await using var group = await MemberGroup.Connect(server.ConnectString, path);
        await using var first = new SetPartitioner(group.Shared, path, Items, CooperativeOptions("co-1", out _));
        await using var second = new SetPartitioner(group.Shared, path, Items, CooperativeOptions("co-2", out _));

        // A cooperative member is Acquired from the end of its wait, and its items arrive one by one after that.
        await Eventually(
            () => SharesWhileAcquired([first, second]) is { } shares && shares[0].SequenceEqual(["a", "c", "e"]) && shares[1].SequenceEqual(["b", "d", "f"]),
            "co-1 with a,c,e and co-2 with b,d,f, both Acquired");

        // The digest of a..f comes from an independent implementation (a Python port of the fold).
        Assert.Equal(
            "co-2\npartitioner/1 rebalance=cooperative function=round-robin items=8245f1c523dae9a9",
            Encoding.UTF8.GetString(await PartyNodeData(group, path, "co-2")));
        Assert.False(first.Failed || second.Failed, $"co-1: {first.FailureReason}, co-2: {second.FailureReason}");
    }

    public void Dispose() => _children.Dispose();

    private static SetPartitionerOptions CooperativeOptions(string identifier, out string prefix)
    {
        prefix = NextPrefix();
        var options = Options(identifier, prefix);
        options.Rebalance = RebalanceMode.Cooperative;
        return options;
    }

    private static async Task<byte[]> PartyNodeData(MemberGroup group, string path, string identifier)
    {
        var node = (await group.Shared.GetChildrenAsync($"{path}/party")).Single(c => c.EndsWith("-" + identifier, StringComparison.Ordinal));
        return (await group.Shared.GetDataAsync($"{path}/party/{node}")).Data;
    }

    /// <summary>No lock node of <paramref name="prefix"/> under any item: the failed member took nothing, or left nothing.</summary>
    private static async Task AssertHoldsNoLock(MemberGroup group, string path, string prefix)
    {
        foreach (string item in Items)
        {
            Assert.DoesNotContain(await Contenders(group.Shared, path, item), node => node.StartsWith(prefix, StringComparison.Ordinal));
        }
    }

    private ChildProcess StartKazooMember(string path, string identifier) =>
        _children.Add(ChildProcess.StartKazooMember(server.ConnectString, path, Items, identifier));
}
