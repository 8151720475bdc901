using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Culture.Tests;

/// <summary>
/// kazoo's partition function, member order and a mixed party, under cultures whose collation differs from
/// code-point order in different ways: en-US (case and punctuation are secondary), sv-SE (å, ä, ö after z; v
/// and w close), tr-TR (dotted and dotless i). Python sorts by code point whatever the culture, so a C#
/// member that sorted with the current culture would take a share no kazoo member expects.
/// </summary>
public sealed class KazooCompatibilityTests
{
    /// <summary>
    /// Identifiers and items whose culture order is not their code-point order: case, accents, punctuation,
    /// Turkish i's, fullwidth letters and the ligature "ﬁ" (U+FB01, "fi" to a culture). ZooKeeper refuses
    /// surrogates in paths, so there is no character above U+FFFF.
    /// </summary>
    private static readonly ImmutableArray<string> Members =
        ["m-B", "m-a", "m-é", "m-f", "m-ı", "m-i", "m-İ", "m-Z", "m-_", "m-1", "m-w", "m-v", "m-ä", "m-\uFF21", "m-\uFB01", "m-fi"];

    private static readonly ImmutableArray<string> Items =
        ["b", "B", "a", "Z", "é", "1", "zz", "e", "Ä", "_", "ı", "İ", "i", "co-op", "coop", "v", "w", "å", "\uFF41", "\uFB01", "fi", "-x", "x"];

    public static TheoryData<string> Cultures => ["sv-SE", "tr-TR", "en-US"];

    [Theory]
    [MemberData(nameof(Cultures))]
    public void TheProcess_UnderEachCulture_SortsStringsByCultureUnlessToldOtherwise(string culture)
    {
        using var scope = new CultureScope(culture);

        // Without this, every check below would pass whatever order Core used: in invariant globalization
        // mode a culture comparison is an ordinal one.
        Assert.Equal(culture, CultureInfo.CurrentCulture.Name);
        Assert.NotEqual(Members.Order(StringComparer.Ordinal), Members.Order());
        Assert.True(CultureInfo.CurrentCulture.CompareInfo.Compare("a", "B") < 0, "a culture-aware comparison puts a before B");
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void PartyMembers_UnderEachCulture_AreInKazoosOrder(string culture)
    {
        var (kazooOrder, _) = Kazoo.Partition(Members, Items);
        using var scope = new CultureScope(culture);
        var children = Members.Reverse().Select((m, i) => $"{i:x32}-{m}");

        var members = PartyMembership.Members(children);

        Assert.Equal(kazooOrder, members);
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void RoundRobin_UnderEachCulture_GivesEveryMemberKazoosShare(string culture)
    {
        var (_, kazooShares) = Kazoo.Partition(Members, Items);
        using var scope = new CultureScope(culture);

        foreach (string member in Members)
        {
            var share = PartitionFunctions.RoundRobin(member, [.. Members.Reverse()], [.. Items.Reverse()]);
            Assert.Equal(kazooShares[member], share);
        }
    }

    [Theory]
    [MemberData(nameof(Cultures))]
    public void MixedParty_UnderEachCulture_CSharpMembersTakeTheSharesKazooMembersLeaveThem(string culture)
    {
        // Every other identifier is a kazoo member (a party node of another session), the rest are C# members.
        var kazooMembers = Members.Where((_, i) => i % 2 == 0).ToArray();
        var csharpMembers = Members.Where((_, i) => i % 2 == 1).ToArray();
        var (_, kazooShares) = Kazoo.Partition(Members, Items);
        using var scope = new CultureScope(culture);
        var cluster = new Cluster();
        cluster.Zk.CreateAs(99, "/p", NodeKind.Persistent);
        cluster.Zk.CreateAs(99, "/p/party", NodeKind.Persistent);
        foreach (var (member, i) in kazooMembers.Select((m, i) => (m, i)))
        {
            cluster.Zk.CreateAs(99, $"/p/party/{i + 1:x32}-{member}", NodeKind.Ephemeral);
        }

        var joined = csharpMembers.Select(id => cluster.Join(Configs.For(id, Items))).ToList();
        cluster.RunUntilQuiet();

        foreach (var member in joined)
        {
            Assert.Equal(PartitionState.Acquired, member.State.PartitionState);
            Assert.Equal(kazooShares[member.State.Config.Identifier], member.Acquired);
        }

        var taken = joined.SelectMany(m => m.Acquired).Concat(kazooMembers.SelectMany(m => kazooShares[m])).ToList();
        Assert.Equal(Items.Order(StringComparer.Ordinal), taken.Order(StringComparer.Ordinal));
    }
}
