using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Partitioner.Core;

namespace Partitioner.Tests.Core.Partitioning;

/// <summary>kazoo's round-robin partition function and the code-point order it sorts by.</summary>
public sealed class PartitionFunctionTests
{
    [Theory]
    [InlineData("0,1", "0,1,2", "0", "0,2")]
    [InlineData("0,1", "0,1,2", "1", "1")]
    [InlineData("0,1,2", "0,1,2", "0", "0")]
    [InlineData("0,1,2", "0,1,2", "1", "1")]
    [InlineData("0,1,2", "0,1,2", "2", "2")]
    [InlineData("0,1", "0", "0", "0")]
    [InlineData("0,1", "0", "1", "")]
    [InlineData("solo", "0,1,2", "solo", "0,1,2")]
    public void RoundRobin_OnKazoosExamples_GivesKazoosShares(string members, string items, string member, string expected)
    {
        var share = PartitionFunctions.RoundRobin(member, Split(members), Split(items));

        Assert.Equal(Split(expected).ToArray(), share.ToArray());
    }

    [Fact]
    public void RoundRobin_WhenTheMemberIsNotInTheParty_RefusesNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => PartitionFunctions.RoundRobin("ghost", ["a", "b"], ["x"]));

        Assert.Equal("identifier", error.ParamName);
        Assert.Contains("\"ghost\"", error.Message, StringComparison.Ordinal);
    }

    [Property]
    public bool RoundRobin_ForAnyMembersAndItems_SharesAreDisjointAndCoverTheSet(NonEmptyArray<string> rawMembers, string[] rawItems)
    {
        var members = Distinct(rawMembers.Get);
        var items = Distinct(rawItems);
        if (members.IsEmpty)
        {
            return true;
        }

        var all = members.SelectMany(m => PartitionFunctions.RoundRobin(m, members, items)).ToList();

        return all.Count == items.Length && all.ToHashSet(StringComparer.Ordinal).SetEquals(items);
    }

    [Property]
    public bool RoundRobin_ForAnyMembersAndItems_SharesDifferInSizeByAtMostOne(NonEmptyArray<string> rawMembers, string[] rawItems)
    {
        var members = Distinct(rawMembers.Get);
        var items = Distinct(rawItems);
        if (members.IsEmpty)
        {
            return true;
        }

        var sizes = members.Select(m => PartitionFunctions.RoundRobin(m, members, items).Length).ToList();

        return sizes.Max() - sizes.Min() <= 1;
    }

    [Property]
    public bool RoundRobin_ForAnyInputOrder_GivesTheSameShare(NonEmptyArray<string> rawMembers, string[] rawItems, int[] memberKeys, int[] itemKeys)
    {
        var members = Distinct(rawMembers.Get);
        var items = Distinct(rawItems);
        if (members.IsEmpty)
        {
            return true;
        }

        var shuffledMembers = Shuffle(members, memberKeys);
        var shuffledItems = Shuffle(items, itemKeys);

        return members.All(m => PartitionFunctions.RoundRobin(m, members, items)
            .SequenceEqual(PartitionFunctions.RoundRobin(m, shuffledMembers, shuffledItems)));
    }

    [Fact]
    public void CodePointComparer_GivenABmpCharAboveTheSurrogates_SortsItBeforeAnAstralChar()
    {
        const string halfwidthStop = "\uFF61";
        const string grinningFace = "\U0001F600";

        Assert.True(CodePointComparer.Instance.Compare(halfwidthStop, grinningFace) < 0);
        Assert.True(CodePointComparer.Instance.Compare(grinningFace, halfwidthStop) > 0);
        Assert.True(string.CompareOrdinal(halfwidthStop, grinningFace) > 0, "UTF-16 order differs, which is the point");
    }

    [Theory]
    [InlineData("a", "b", -1)]
    [InlineData("a", "ab", -1)]
    [InlineData("", "a", -1)]
    [InlineData("B", "a", -1)]
    [InlineData("\uE000", "\U00010000", -1)]
    [InlineData("\U00010000", "\U0010FFFF", -1)]
    [InlineData("x", "x", 0)]
    public void CodePointComparer_OnHandPickedPairs_OrdersByCodePoint(string left, string right, int expectedSign)
    {
        Assert.Equal(expectedSign, Math.Sign(CodePointComparer.Instance.Compare(left, right)));
        Assert.Equal(-expectedSign, Math.Sign(CodePointComparer.Instance.Compare(right, left)));
    }

    [Property]
    public bool CodePointComparer_ForWellFormedStrings_AgreesWithComparingRunes(string left, string right)
    {
        if (left is null || right is null || !WellFormed(left) || !WellFormed(right))
        {
            return true;
        }

        var l = left.EnumerateRunes().Select(r => r.Value).ToList();
        var r = right.EnumerateRunes().Select(r => r.Value).ToList();
        int expected = 0;
        for (int i = 0; i < Math.Min(l.Count, r.Count) && expected == 0; i++)
        {
            expected = l[i].CompareTo(r[i]);
        }

        expected = expected != 0 ? expected : l.Count.CompareTo(r.Count);
        return Math.Sign(expected) == Math.Sign(CodePointComparer.Instance.Compare(left, right));
    }

    [Property]
    public Property CodePointComparer_OnAstralAndHighBmpStrings_AgreesWithComparingRunes()
    {
        var piece = Gen.Elements("a", "\uFF61", "\uE000", "\uFFFD", "\U0001F600", "\U00010000", "\uD7FF");
        var text = Gen.ArrayOf(piece).Select(parts => string.Concat(parts));
        return Prop.ForAll(text.ToArbitrary(), text.ToArbitrary(), (left, right) =>
            CodePointComparer_ForWellFormedStrings_AgreesWithComparingRunes(left, right));
    }

    private static ImmutableArray<string> Split(string list) =>
        list.Length == 0 ? [] : [.. list.Split(',')];

    private static ImmutableArray<string> Distinct(IEnumerable<string> raw) =>
        [.. raw.Where(s => s is not null).Distinct(StringComparer.Ordinal)];

    private static ImmutableArray<string> Shuffle(ImmutableArray<string> values, int[] keys) =>
        [.. values.Select((v, i) => (v, key: keys.Length == 0 ? -i : keys[i % keys.Length] ^ i)).OrderBy(p => p.key).Select(p => p.v)];

    private static bool WellFormed(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
            }
            else if (char.IsSurrogate(text[i]))
            {
                return false;
            }
        }

        return true;
    }
}
