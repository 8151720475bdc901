using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>The ACL each create carries, and the failures that NoAuth and AuthFailed lead to.</summary>
public sealed class AclTests
{
    private static readonly string Prefix0 = Configs.PrefixFor("0");

    private static PartitionerConfig Protected(IEnumerable<string> items, int batchSize = 250) =>
        PartitionerConfig.Create(
            "/app/p", items, "0", Prefix0, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500), batchSize: batchSize, acl: PartyAcl.CreatorAll);

    private static string Text(ImmutableArray<AclEntry> acl) => string.Join(",", acl.Select(e => e.ToString()));

    [Fact]
    public void Start_UnderCreatorAll_GivesContainersReadCreate_PartyFolderReadCreateDelete_PartyNodeReadOnly()
    {
        var creates = Decider.Start(Protected(["a"])).Commands.OfType<CreateNode>().ToDictionary(c => c.Path, c => Text(c.Acl));

        Assert.Equal("auth::cr", creates["/app"]);
        Assert.Equal("auth::cr", creates["/app/p"]);
        Assert.Equal("auth::cr", creates["/app/p/locks"]);
        Assert.Equal("auth::cdr", creates["/app/p/party"]);
        Assert.Equal("auth::r", creates["/app/p/party/" + Prefix0 + "-0"]);
    }

    [Fact]
    public void Start_ByDefault_GivesEveryNodeTheOpenAcl()
    {
        var config = PartitionerConfig.Create("/p", ["a"], "0", Prefix0, TimeSpan.FromSeconds(1), TimeSpan.FromMilliseconds(500));

        var creates = Decider.Start(config).Commands.OfType<CreateNode>().ToList();

        Assert.All(creates, c => Assert.Equal("world:anyone:cdrwa", Text(c.Acl)));
    }

    [Fact]
    public void Allocation_UnderCreatorAll_GivesLockFoldersReadCreateDeleteAndLockNodesReadOnly()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Protected(["a", "b"]));
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.FireTimers(member);
        cluster.Settle();

        var ops = member.Commands.Skip(before).OfType<Multi>().SelectMany(m => m.Ops).OfType<CreateOp>().ToList();
        Assert.Equal(["auth::cdr", "auth::r", "auth::cdr", "auth::r"], ops.Select(op => Text(op.Acl)));
        Assert.Equal([NodeKind.Persistent, NodeKind.EphemeralSequential, NodeKind.Persistent, NodeKind.EphemeralSequential], ops.Select(op => op.Kind));
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
    }

    [Fact]
    public void Allocation_WhenAFolderCreateIsRefusedWithNoAuth_FailsNamingTheParentAndTheCreatePermission()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Protected(["a"]));
        cluster.Settle();
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.Any(op => op is CreateOp { Kind: NodeKind.Persistent }), ZooKeeperError.NoAuth);

        cluster.FireTimers(member);
        cluster.Settle();

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Equal(
            "multi create /app/p/locks/a failed with NoAuth (-102): this member's identities lack the Create permission on /app/p/locks",
            member.State.FailureReason);
    }

    [Fact]
    public void SetupCreate_WhenThePartyNodeIsRefusedWithNoAuth_NamesPartyFolderAndCreatePermission_AndSendsNoRetry()
    {
        var start = Decider.Start(Protected(["a"]));
        var join = start.Commands.Only<CreateNode>(c => c.Kind == NodeKind.Ephemeral);

        var after = Decider.Decide(start.State, new CreateCompleted(join.OpId, ZooKeeperError.NoAuth, null));

        Assert.Equal(PartitionState.Failure, after.State.PartitionState);
        Assert.EndsWith("lack the Create permission on /app/p/party", after.State.FailureReason, StringComparison.Ordinal);
        Assert.DoesNotContain(after.Commands, c => c is StartTimer or CreateNode);
    }

    [Fact]
    public void Release_WhenALockDeleteIsRefusedWithNoAuth_NamesTheFolderAndTheDeletePermission()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Protected(["a"]));
        cluster.Settle();
        cluster.FireTimers(member);
        cluster.Settle();
        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        cluster.Zk.FailNext(c => c is Multi m && m.Ops.All(op => op is DeleteOp), ZooKeeperError.NoAuth);

        cluster.Deliver(member, new ReleaseRequested());
        cluster.Settle();

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Contains("lack the Delete permission on /app/p/locks/a", member.State.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void PartyRead_WhenRefusedWithNoAuth_NamesThePartyFolderAndTheReadPermission()
    {
        var start = Decider.Start(Protected(["a"]));
        var read = start.Commands.Only<GetChildren>(c => c.Path == "/app/p/party");

        var after = Decider.Decide(start.State, new ChildrenCompleted(read.OpId, ZooKeeperError.NoAuth, []));

        Assert.Equal(PartitionState.Failure, after.State.PartitionState);
        Assert.EndsWith("lack the Read permission on /app/p/party", after.State.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void SessionAuthFailed_EndsInFailureSayingTheCredentialsWereRefused_WithoutRetryOrDeletes()
    {
        var start = Decider.Start(Protected(["a"]));

        var after = Decider.Decide(start.State, new SessionAuthFailed());

        Assert.Equal(PartitionState.Failure, after.State.PartitionState);
        Assert.Contains("refused this member's credentials", after.State.FailureReason, StringComparison.Ordinal);
        Assert.DoesNotContain(after.Commands, c => c is ZooKeeperCommand or StartTimer);
    }

    [Fact]
    public void ForIdentities_GivesEachIdentityTheMemberPermissionsOnEveryKindOfNode()
    {
        var acl = PartyAcl.ForIdentities([("digest", "user:hash"), ("x509", "CN=worker")]);

        Assert.Equal("digest:user:hash:cr,x509:CN=worker:cr", Text(acl.Container));
        Assert.Equal("digest:user:hash:cdr,x509:CN=worker:cdr", Text(acl.Folder));
        Assert.Equal("digest:user:hash:r,x509:CN=worker:r", Text(acl.Node));
    }

    [Theory]
    [InlineData("", "id", 1, "scheme")]
    [InlineData("a:b", "id", 1, "scheme")]
    [InlineData("world", "anyone", 0, "outside 1 to 31")]
    [InlineData("world", "anyone", 32, "outside 1 to 31")]
    public void Uniform_WithABadEntry_IsRefusedNamingIt(string scheme, string id, int perms, string expected)
    {
        var error = Assert.Throws<ArgumentException>(() => PartyAcl.Uniform([new AclEntry((AclPerms)perms, scheme, id)]));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ForIdentities_WithNoIdentity_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => PartyAcl.ForIdentities([]));

        Assert.Contains("Container ACL is empty", error.Message, StringComparison.Ordinal);
    }
}
