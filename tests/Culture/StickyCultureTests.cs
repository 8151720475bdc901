using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Core;

namespace Partitioner.Culture.Tests;

/// <summary>
/// The sticky partition function under cultures whose collation is not code-point order: every member of a party
/// must compute the same shares whatever culture its process runs in, or two members take the same item.
/// </summary>
public sealed class StickyCultureTests
{
    private static readonly ImmutableArray<string> Members =
        ["m-B", "m-a", "m-é", "m-f", "m-ı", "m-i", "m-İ", "m-Z", "m-_", "m-1", "m-w", "m-v", "m-ä", "m-\uFF21", "m-\uFB01", "m-fi"];

    // The culture-sensitive names, each also with a number after it, so that there are more items than members.
    private static readonly ImmutableArray<string> Items =
    [
        .. new[] { "b", "B", "a", "Z", "é", "1", "zz", "e", "Ä", "_", "ı", "İ", "i", "co-op", "coop", "v", "w", "å", "\uFF41", "\uFB01", "fi", "-x", "x" }
            .SelectMany(name => Enumerable.Range(0, 7).Select(i => i == 0 ? name : $"{name}{i}")),
    ];

    public static TheoryData<string> Cultures => ["sv-SE", "tr-TR", "en-US"];

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Sticky_UnderEachCulture_GivesTheInvariantSharesInCodePointOrder(string culture)
    {
        var expected = SharesUnder("", Members, Items);

        var shares = SharesUnder(culture, [.. Members.Reverse()], [.. Items.Reverse()]);

        foreach (string member in Members)
        {
            Assert.Equal(expected[member], shares[member]);
            Assert.Equal(shares[member].Order(StringComparer.Ordinal), shares[member]);
        }

        Assert.Equal(Items.Order(StringComparer.Ordinal), shares.Values.SelectMany(s => s).Order(StringComparer.Ordinal));
    }

    private static Dictionary<string, string[]> SharesUnder(string culture, ImmutableArray<string> members, ImmutableArray<string> items)
    {
        using var scope = new CultureScope(culture);
        Assert.Equal(culture, CultureInfo.CurrentCulture.Name);
        return Members.ToDictionary(m => m, m => PartitionFunctions.Sticky(m, members, items).ToArray(), StringComparer.Ordinal);
    }
}
