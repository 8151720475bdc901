using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Partitioning;

/// <summary>Party node names, lock node names, duplicate identifiers and custom partition functions.</summary>
public sealed class MembershipTests
{
    private const string LowPrefix = "00000000000000000000000000000001";
    private const string HighPrefix = "ffffffffffffffffffffffffffffffff";

    [Theory]
    [InlineData("0123-host-7", "host-7")]
    [InlineData("abc-x", "x")]
    [InlineData("nodash", "nodash")]
    [InlineData("abc-", "")]
    public void PartyNode_IdentifierOf_IsTheTextAfterTheFirstDash(string node, string identifier)
    {
        Assert.Equal(identifier, PartyNode.IdentifierOf(node));
    }

    [Theory]
    [InlineData("0123__lock__0000000007", "0000000007")]
    [InlineData("0123__lock__-000000001", null)]
    [InlineData("0123__lock__-0000000001", "-0000000001")]
    [InlineData("__lock__0000000000", "0000000000")]
    [InlineData("0123__lock__000000007", null)]
    [InlineData("0123__lock__00000000007", null)]
    [InlineData("0123__rlock__0000000007", null)]
    [InlineData("_c_0123-lock-0000000007", null)]
    [InlineData("0123__lock__000000000x", null)]
    [InlineData("0123__lock__\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0660\u0661", null)]
    public void LockNode_SequenceOf_MatchesKazoosContenderPattern(string node, string? sequence)
    {
        Assert.Equal(sequence, LockNode.SequenceOf(node));
    }

    [Theory]
    [InlineData(LowPrefix + "__lock__0000000001", true)]
    [InlineData(HighPrefix + "__lock__0000000001", false)]
    [InlineData(LowPrefix + "x__lock__0000000001", false)]
    [InlineData(LowPrefix + "__lock__", false)]
    public void LockNode_IsOwnedBy_RequiresThePrefixThenTheLockMarker(string node, bool owned)
    {
        Assert.Equal(owned, LockNode.IsOwnedBy(node, LowPrefix));
    }

    [Fact]
    public void PartyMembership_WithADuplicateIdentifier_ListsItOnceAndOnlyTheLowestNodeIsActive()
    {
        ImmutableArray<string> children = [HighPrefix + "-a", LowPrefix + "-a", LowPrefix + "-b"];

        Assert.Equal(["a", "b"], PartyMembership.Members(children).ToArray());
        Assert.True(PartyMembership.IsActive(children, LowPrefix + "-a"));
        Assert.False(PartyMembership.IsActive(children, HighPrefix + "-a"));
        Assert.False(PartyMembership.IsActive(children, HighPrefix + "-c"));
    }

    [Fact]
    public void DuplicateIdentifiers_WhenBothJoin_OneOwnsTheShareAndTheOtherStandsByWithNothing()
    {
        var cluster = new Cluster();
        var standby = cluster.Join(Configs.For("w", ["a", "b"], prefix: HighPrefix));
        var active = cluster.Join(Configs.For("w", ["a", "b"], prefix: LowPrefix));

        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Acquired, active.State.PartitionState);
        Assert.Equal(PartitionState.Acquired, standby.State.PartitionState);
        Assert.Equal(["a", "b"], active.Acquired);
        Assert.Empty(standby.Acquired);
        Assert.Empty(cluster.LockNodesOf(standby));
    }

    [Fact]
    public void DuplicateIdentifiers_WhenTheActiveOneLeaves_TheStandbyTakesOverAfterRelease()
    {
        var cluster = new Cluster();
        var standby = cluster.Join(Configs.For("w", ["a", "b"], prefix: HighPrefix));
        var active = cluster.Join(Configs.For("w", ["a", "b"], prefix: LowPrefix));
        cluster.RunUntilQuiet();

        cluster.Deliver(active, new FinishRequested());
        cluster.Settle();
        Assert.Equal(PartitionState.Release, standby.State.PartitionState);
        cluster.Deliver(standby, new ReleaseRequested());
        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b"], standby.Acquired);
    }

    [Fact]
    public void CustomPartitionFunction_WhenPlugged_DecidesTheShare()
    {
        var cluster = new Cluster();
        PartitionFunction everythingToZero = (id, members, items) => id == "0" ? items : [];
        var p0 = cluster.Join(Configs.For("0", ["a", "b", "c"], function: everythingToZero));
        var p1 = cluster.Join(Configs.For("1", ["a", "b", "c"], function: everythingToZero));

        cluster.RunUntilQuiet();

        Assert.Equal(["a", "b", "c"], p0.Acquired);
        Assert.Empty(p1.Acquired);
        Assert.Equal("custom", p0.State.Config.PartitionFunctionName);
    }

    [Fact]
    public void CustomPartitionFunction_WhenItReturnsAnItemOutsideTheSet_FailsNamingTheItem()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"], function: (_, _, _) => ["zz"]));

        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Contains("\"zz\"", member.State.FailureReason, StringComparison.Ordinal);
        Assert.Empty(cluster.Zk.ChildrenOf("/p/party"));
    }

    [Fact]
    public void CustomPartitionFunction_WhenItThrows_FailsWithTheError()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", ["a"], function: (_, _, _) => throw new InvalidOperationException("boom")));

        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Failure, member.State.PartitionState);
        Assert.Contains("boom", member.State.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public void EmptySet_WhenStable_AcquiresNothingWithoutTouchingLocks()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", []));

        cluster.RunUntilQuiet();

        Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
        Assert.Empty(member.Acquired);
        Assert.DoesNotContain(member.Commands, c => c is Multi or MultiGetChildren);
    }
}
