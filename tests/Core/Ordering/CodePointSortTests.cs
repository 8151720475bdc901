using System.Globalization;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Partitioner.Core;

namespace Partitioner.Tests.Core.Ordering;

/// <summary>
/// The configuration's radix sort against a comparison sort by code point (runes compared one by one): the same
/// order for strings with shared prefixes, prefixes of each other, duplicates, and characters whose UTF-16 order is
/// not their code-point order; and the same when its depth budget runs out and it falls back to the comparer.
/// </summary>
public sealed class CodePointSortTests
{
    // Pieces whose code-point order differs from UTF-16 order (U+E000..U+FFFF against a surrogate pair), the empty
    // string (so that one string is often a prefix of another) and a long shared run.
    private static readonly Gen<string> Text = Gen.ArrayOf(Gen.Elements("", "a", "b", "0", "1", "\uE000", "\uFFFD", "\U0001F600", "\U00010000", "item-000"))
        .Select(parts => string.Concat(parts));

    [Property(MaxTest = 300)]
    public Property Sort_AnyStrings_GivesCodePointOrder() =>
        Prop.ForAll(Gen.ArrayOf(Text).ToArbitrary(), values =>
        {
            var sorted = values.ToArray();
            CodePointSort.Sort(sorted);
            return sorted.SequenceEqual(ByRunes(values), StringComparer.Ordinal);
        });

    [Property(MaxTest = 100)]
    public Property Sort_WithNoDepthBudget_FallsBackAndGivesCodePointOrder() =>
        Prop.ForAll(Gen.ArrayOf(Text).ToArbitrary(), values =>
        {
            var sorted = values.ToArray();
            CodePointSort.Sort(sorted, depthBudget: 0);
            return sorted.SequenceEqual(ByRunes(values), StringComparer.Ordinal);
        });

    [Fact]
    public void Sort_ManyItemNamesShuffled_GivesCodePointOrder()
    {
        // Numbers as kazoo benchmarks name items: "10" sorts before "2", so the input is far from sorted.
        var random = new Random(7);
        var values = Enumerable.Range(0, 20_000).Select(i => i.ToString(CultureInfo.InvariantCulture)).OrderBy(_ => random.Next()).ToArray();
        var sorted = values.ToArray();

        CodePointSort.Sort(sorted);

        Assert.Equal(ByRunes(values), sorted);
    }

    [Fact]
    public void Sort_ManyEqualStringsAndOneEmpty_PutsTheEmptyFirstAndKeepsEveryCopy()
    {
        var values = Enumerable.Repeat("same", 100).Append("").Append("sam").ToArray();

        CodePointSort.Sort(values);

        Assert.Equal(["", "sam", .. Enumerable.Repeat("same", 100)], values);
    }

    /// <summary>The expected order, by comparing the strings' code points one by one (every piece is well formed).</summary>
    private static string[] ByRunes(IEnumerable<string> values) =>
        [.. values.Order(Comparer<string>.Create((left, right) =>
        {
            var l = left.EnumerateRunes().Select(r => r.Value).ToArray();
            var r = right.EnumerateRunes().Select(r => r.Value).ToArray();
            for (int i = 0; i < Math.Min(l.Length, r.Length); i++)
            {
                if (l[i] != r[i])
                {
                    return l[i].CompareTo(r[i]);
                }
            }

            return l.Length.CompareTo(r.Length);
        }))];
}
