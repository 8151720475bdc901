using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>
/// Members of one path that disagree on the rebalance mode, the partition function or the items are found by the
/// cooperative ones after each stability wait, before anything is taken or revoked, and end in Failure with a reason
/// that names the other member and what differs (kazoo issue #392: such members stall silently). Members that agree
/// cost one batched read of the party's data per wait, and eager members read nothing and write kazoo's data.
/// </summary>
public sealed class DeclarationCheckTests
{
    private static readonly string[] Items = ["0", "1", "2", "3", "4", "5"];

    private static PartitionerConfig Cooperative(string identifier, IEnumerable<string>? items = null, PartitionFunction? function = null, int batchSize = 250) =>
        Configs.For(identifier, items ?? Items, batchSize: batchSize, function: function) with { Rebalance = RebalanceMode.Cooperative };

    private static PartitionerConfig Eager(string identifier) => Configs.For(identifier, Items);

    private static string PartyNode(string identifier) => "/p/party/" + Configs.PrefixFor(identifier) + "-" + identifier;

    private static bool TookOrRevokedAnything(TestMember member, int after = 0) =>
        member.Commands.Skip(after).Any(c => c is StopItemWork
            || c is CreateNode create && create.Path.StartsWith("/p/locks/", StringComparison.Ordinal)
            || c is Multi multi && multi.Ops.Any(op => op is CreateOp && op.Path.StartsWith("/p/locks/", StringComparison.Ordinal)));

    [Fact]
    public void Agreeing_CooperativeMembers_ReadTheOthersDeclarationsOncePerWaitAndAcquire()
    {
        var party = new CooperativeParty();
        var a = party.Join("a", Items);
        var b = party.Join("b", Items);
        party.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, a.State.PartitionState);
        Assert.Equal(PartitionState.Acquired, b.State.PartitionState);
        int sentByA = a.Commands.Count;

        var c = party.Join("c", Items);
        party.RunUntilQuiet();

        var read = Assert.Single(a.Commands.Skip(sentByA).OfType<MultiGetData>());
        Assert.Equal([PartyNode("b"), PartyNode("c")], read.Paths.Order(StringComparer.Ordinal));
        Assert.All(new[] { a, b, c }, m => Assert.Equal(PartitionState.Acquired, m.State.PartitionState));
        Assert.Equal(Items, a.Acquired.Concat(b.Acquired).Concat(c.Acquired).Order(StringComparer.Ordinal));
        Assert.Empty(party.Violations);
    }

    [Fact]
    public void Agreeing_PartyLargerThanABatch_ReadsInBatchesAndTakesNothingBeforeTheLastOneAgrees()
    {
        var cluster = new Cluster();
        var members = "abcde".Select(id => cluster.Join(Cooperative(id.ToString(), batchSize: 2))).ToList();
        cluster.Settle();
        var a = members[0];

        var wait = a.Timers.Single();
        a.Timers.Remove(wait);
        var decision = cluster.Zk.Inbox(a.Session).Count == 0 ? Decider.Decide(a.State, new TimerFired(wait)) : throw new InvalidOperationException("a has results queued");

        var reads = decision.Commands.OfType<MultiGetData>().ToList();
        Assert.Equal([2, 2], reads.Select(r => r.Paths.Length));
        Assert.Equal(["b", "c", "d", "e"], reads.SelectMany(r => r.Paths).Select(p => p[(p.IndexOf('-', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal));
        Assert.All(decision.Commands, c => Assert.IsType<MultiGetData>(c));

        var first = Decider.Decide(decision.State, new DataCompleted(reads[0].OpId, ZooKeeperError.Ok, [.. reads[0].Paths.Select(DataOf(cluster))]));
        Assert.Empty(first.Commands);
        Assert.Equal(PartitionState.Allocating, first.State.PartitionState);

        var second = Decider.Decide(first.State, new DataCompleted(reads[1].OpId, ZooKeeperError.Ok, [.. reads[1].Paths.Select(DataOf(cluster))]));
        Assert.Equal(PartitionState.Acquired, second.State.PartitionState);
        Assert.Contains(second.Commands, c => c is Multi);
    }

    [Fact]
    public void Agreeing_ADuplicateOrStaleDeclarationReadChangesNothing()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        cluster.Join(Cooperative("b"));
        cluster.RunUntilQuiet();
        var answered = a.Delivered.OfType<DataCompleted>().Last();

        var again = Decider.Decide(a.State, answered);

        Assert.Equal(a.State, again.State);
        Assert.Empty(again.Commands);
    }

    [Fact]
    public void EagerMember_InACooperativeParty_FailsTheCooperativeOneNamingItBeforeItTakesAnything()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        var b = cluster.Join(Eager("b"));
        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Failure, a.State.PartitionState);
        Assert.Equal(
            "member \"b\" of /p declares nothing (an eager member of this library, or a kazoo member); this member is cooperative: "
            + "the members of one path must agree on the rebalance mode, the partition function and the items",
            a.State.FailureReason);
        Assert.False(TookOrRevokedAnything(a));
        Assert.False(cluster.Zk.Exists(PartyNode("a")));
        Assert.Equal(PartitionState.Acquired, b.State.PartitionState);
        Assert.Equal(Items, b.Acquired);
    }

    [Fact]
    public void KazooMember_JoiningAnAcquiredCooperativeParty_FailsEveryCooperativeMemberWithoutARevocation()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        var b = cluster.Join(Cooperative("b"));
        cluster.RunUntilQuiet();
        Assert.Equal(PartitionState.Acquired, a.State.PartitionState);
        int sentByA = a.Commands.Count;
        int sentByB = b.Commands.Count;

        // A kazoo member joins as kazoo's ShallowParty does: an ephemeral <uuid hex>-<id> node whose data is the id.
        cluster.Zk.CreateAs(99, "/p/party/" + new string('9', 32) + "-py", NodeKind.Ephemeral, [.. Encoding.UTF8.GetBytes("py")]);
        cluster.RunUntilQuiet();

        foreach (var (member, sent) in new[] { (a, sentByA), (b, sentByB) })
        {
            Assert.Equal(PartitionState.Failure, member.State.PartitionState);
            Assert.StartsWith("member \"py\" of /p declares nothing (an eager member of this library, or a kazoo member)", member.State.FailureReason, StringComparison.Ordinal);
            Assert.DoesNotContain(member.Commands.Skip(sent), c => c is StopItemWork);
            Assert.Empty(cluster.LockNodesOf(member));
        }
    }

    [Fact]
    public void DifferentPartitionFunction_WaitsEndingTogether_FailsBothMembersNamingTheOtherAndBothFunctions()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        var b = cluster.Join(Cooperative("b", function: PartitionFunctions.Sticky));
        EndWaitsTogether(cluster, a, b);

        Assert.Equal(
            "member \"b\" of /p uses the partition function \"sticky\", this member \"round-robin\": "
            + "the members of one path must agree on the rebalance mode, the partition function and the items",
            a.State.FailureReason);
        Assert.StartsWith("member \"a\" of /p uses the partition function \"round-robin\", this member \"sticky\"", b.State.FailureReason, StringComparison.Ordinal);
        Assert.False(TookOrRevokedAnything(a));
        Assert.False(TookOrRevokedAnything(b));
    }

    [Fact]
    public void DifferentItemSet_WaitsEndingTogether_FailsBothMembersWithBothDigests()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        var b = cluster.Join(Cooperative("b", items: [.. Items, "6"]));
        EndWaitsTogether(cluster, a, b);

        string digestOfA = PartyDeclaration.DigestText(PartyDeclaration.DigestOf([.. Items]));
        string digestOfB = PartyDeclaration.DigestText(PartyDeclaration.DigestOf([.. Items, "6"]));
        Assert.NotEqual(digestOfA, digestOfB);
        Assert.StartsWith($"member \"b\" of /p has a different item set (digest {digestOfB}, this member's {digestOfA})", a.State.FailureReason, StringComparison.Ordinal);
        Assert.StartsWith($"member \"a\" of /p has a different item set (digest {digestOfA}, this member's {digestOfB})", b.State.FailureReason, StringComparison.Ordinal);
        Assert.False(TookOrRevokedAnything(a));
        Assert.False(TookOrRevokedAnything(b));
    }

    [Fact]
    public void DeclaredEagerMode_FailsTheCooperativeMemberNamingBothModes()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        string digest = PartyDeclaration.DigestText(PartyDeclaration.DigestOf([.. Items]));
        cluster.Zk.CreateAs(99, PartyNode("w3"), NodeKind.Ephemeral, [.. Encoding.UTF8.GetBytes($"w3\npartitioner/1 rebalance=eager function=round-robin items={digest}")]);
        cluster.RunUntilQuiet();

        Assert.StartsWith("member \"w3\" of /p declares rebalance=eager, this member rebalance=cooperative:", a.State.FailureReason, StringComparison.Ordinal);
        Assert.False(TookOrRevokedAnything(a));
    }

    [Fact]
    public void UnreadableDeclaration_FailsTheMemberWithTheReason()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        cluster.Zk.CreateAs(99, PartyNode("w2"), NodeKind.Ephemeral, [.. Encoding.UTF8.GetBytes("w2\npartitioner/2 rebalance=cooperative")]);
        cluster.RunUntilQuiet();

        Assert.StartsWith(
            "member \"w2\" of /p has party node data this member cannot read as a declaration (partitioner/1): it declares the format \"partitioner/2\"; this member reads partitioner/1 only",
            a.State.FailureReason,
            StringComparison.Ordinal);
        Assert.False(TookOrRevokedAnything(a));
    }

    [Fact]
    public void DeclarationReadLost_StartsTheWaitAgainAndThenAcquires()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Cooperative("a"));
        var b = cluster.Join(Cooperative("b"));
        cluster.Zk.FailNext(c => c is MultiGetData, ZooKeeperError.ConnectionLoss);
        cluster.RunUntilQuiet();

        Assert.Contains(ZooKeeperError.ConnectionLoss, a.Delivered.Concat(b.Delivered).OfType<DataCompleted>().Select(d => d.Error));
        Assert.Equal(PartitionState.Acquired, a.State.PartitionState);
        Assert.Equal(PartitionState.Acquired, b.State.PartitionState);
        Assert.Equal(Items, a.Acquired.Concat(b.Acquired).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void EagerParty_ReadsNoDataAndWritesKazoosPartyNodeData()
    {
        var cluster = new Cluster();
        var a = cluster.Join(Eager("a"));
        var b = cluster.Join(Eager("b"));
        cluster.RunUntilQuiet();

        Assert.DoesNotContain(a.Commands.Concat(b.Commands), c => c is MultiGetData);
        Assert.Equal(Encoding.UTF8.GetBytes("a"), cluster.Zk.DataOf(PartyNode("a")));
        Assert.Equal(PartitionState.Acquired, a.State.PartitionState);
    }

    [Fact]
    public void CooperativeMember_WritesItsDeclarationAfterItsIdentifier()
    {
        var cluster = new Cluster();
        cluster.Join(Cooperative("a", function: PartitionFunctions.Sticky));

        string data = Encoding.UTF8.GetString(cluster.Zk.DataOf(PartyNode("a")));
        string digest = PartyDeclaration.DigestText(PartyDeclaration.DigestOf([.. Items]));
        Assert.Equal($"a\npartitioner/1 rebalance=cooperative function=sticky items={digest}", data);
    }

    /// <summary>Ends every member's stability wait before any answer is delivered, so that each reads the others' declarations.</summary>
    private static void EndWaitsTogether(Cluster cluster, params TestMember[] members)
    {
        cluster.Settle();
        foreach (var member in members)
        {
            long timer = member.Timers.Single();
            member.Timers.Remove(timer);
            cluster.Deliver(member, new TimerFired(timer));
        }

        cluster.Settle();
    }

    private static Func<string, DataResult> DataOf(Cluster cluster) =>
        path => new DataResult(ZooKeeperError.Ok, ImmutableArray.Create(cluster.Zk.DataOf(path)));
}
