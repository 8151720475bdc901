using FsCheck.Xunit;
using Partitioner.Core;

namespace Partitioner.Tests.Core.Collections;

/// <summary>
/// The ledger's sorted map against a sorted dictionary as its model: the same entries in the same code-point order
/// after any sequence of sets and removes, under one edit or many, and every earlier version unchanged by later edits.
/// </summary>
public sealed class SortedItemMapTests
{
    // Keys whose code-point order differs from UTF-16 order (a supplementary character above U+E000), and more of
    // them than several chunks hold, so that runs of changes split chunks and empty them.
    private static readonly string[] KeyPool = [.. Enumerable.Range(0, 700).Select(i => (i % 4) switch
    {
        0 => "a" + i,
        1 => "b" + i,
        2 => "\uE000" + i,
        _ => "\uD83D\uDE00" + i,
    })];

    [Property(MaxTest = 300)]
    public bool Changes_AnySequence_MatchTheModelAndLeaveEarlierVersionsAsTheyWere(int[] ops)
    {
        var map = SortedItemMap<int>.Empty;
        var model = new SortedDictionary<string, int>(CodePointComparer.Instance);
        var edit = new Edit();
        var versions = new List<(SortedItemMap<int> Map, KeyValuePair<string, int>[] Entries)>();
        foreach (int op in ops)
        {
            // An op's low bits choose what it does, the rest which key (spread over the pool even for small values).
            long magnitude = Math.Abs((long)op);
            int key = (int)(magnitude / 8 * 53 % KeyPool.Length);
            switch (magnitude % 8)
            {
                case 5:
                    map = map.Remove(edit, KeyPool[key]);
                    model.Remove(KeyPool[key]);
                    break;
                case 6:
                    // A run of neighbours, as a batch of a round records them.
                    for (int k = key; k < Math.Min(KeyPool.Length, key + 150); k++)
                    {
                        map = map.SetItem(edit, KeyPool[k], op);
                        model[KeyPool[k]] = op;
                    }

                    break;
                case 7:
                    // The decision ends: its version is kept, and the next changes come under a new edit.
                    versions.Add((map, [.. model]));
                    edit = new Edit();
                    break;
                default:
                    map = map.SetItem(edit, KeyPool[key], op);
                    model[KeyPool[key]] = op;
                    break;
            }
        }

        versions.Add((map, [.. model]));
        return versions.All(version => Matches(version.Map, version.Entries));
    }

    [Property(MaxTest = 100)]
    public bool Cursor_ForKeysInAnyOrder_FindsWhatALookUpFinds(int[] present, int[] asked)
    {
        var edit = new Edit();
        var map = SortedItemMap<int>.Empty;
        foreach (int key in present)
        {
            map = map.SetItem(edit, KeyPool[(int)(Math.Abs((long)key) * 7 % KeyPool.Length)], key);
        }

        var cursor = map.Walk();
        var questions = asked.Select(key => KeyPool[(int)(Math.Abs((long)key) * 7 % KeyPool.Length)]).ToList();
        // Mostly ascending, as a share's walk asks, with the out-of-order questions the cursor must still answer.
        questions.Sort(CodePointComparer.Instance);
        if (questions.Count > 2)
        {
            (questions[0], questions[^1]) = (questions[^1], questions[0]);
        }

        return questions.All(key =>
            cursor.TryGet(key, out int walked) == map.TryGetValue(key, out int looked) && walked == looked);
    }

    [Fact]
    public void SetItem_ManyAscendingKeysUnderOneEdit_KeepsThemInOrderAndFindsEach()
    {
        var edit = new Edit();
        var map = SortedItemMap<int>.Empty;
        var keys = Enumerable.Range(0, 1_000).Select(i => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        foreach (var (key, i) in keys.Select((key, i) => (key, i)))
        {
            map = map.SetItem(edit, key, i);
        }

        Assert.Equal(keys, map.Keys);
        Assert.All(keys.Select((key, i) => (key, i)), pair => Assert.Equal(pair.i, map[pair.key]));
        Assert.False(map.ContainsKey("01000"));
    }

    [Fact]
    public void SetItem_BatchesAppendedUnderSuccessiveEdits_KeepEveryVersionAndTakeKeysBetweenThemLater()
    {
        // A first allocation's shape: ascending batches of 125 (not a chunk's length), one decision each, so that a
        // batch starts past a last chunk an earlier decision made; then keys between the batches, and removes.
        var keys = Enumerable.Range(0, 1_000).Select(i => Key(2 * i)).ToArray();
        var map = SortedItemMap<int>.Empty;
        var versions = new List<(SortedItemMap<int> Map, string[] Keys)>();
        for (int start = 0; start < keys.Length; start += 125)
        {
            var edit = new Edit();
            foreach (string key in keys.AsSpan(start, 125))
            {
                map = map.SetItem(edit, key, start);
            }

            versions.Add((map, keys[..(start + 125)]));
        }

        var between = Enumerable.Range(0, 1_000).Where(i => i % 50 == 0).Select(i => Key((2 * i) + 1)).ToArray();
        var grown = between.Aggregate(map, (m, key) => m.SetItem(new Edit(), key, -1));
        var shrunk = keys.Where((_, i) => i % 3 == 0).Aggregate(grown, (m, key) => m.Remove(new Edit(), key));

        Assert.All(versions, version => Assert.Equal(version.Keys, version.Map.Keys));
        Assert.All(keys.Select((key, i) => (key, i)), pair => Assert.Equal(pair.i / 125 * 125, map[pair.key]));
        Assert.Equal([.. keys.Concat(between).Order(CodePointComparer.Instance)], grown.Keys);
        Assert.All(between, key => Assert.Equal(-1, grown[key]));
        Assert.Equal([.. keys.Where((_, i) => i % 3 != 0).Concat(between).Order(CodePointComparer.Instance)], shrunk.Keys);

        static string Key(int i) => i.ToString("D5", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void SetItem_IntoAFullChunkAtEveryPosition_SplitsItKeepingOrder(bool underANewEdit)
    {
        // One full chunk of even keys; each odd key lands at another position of it, the first and last included.
        var even = Enumerable.Range(0, SortedItemMap<int>.ChunkLength).Select(i => Key(2 * i + 1)).ToArray();
        var edit = new Edit();
        var full = even.Aggregate(SortedItemMap<int>.Empty, (map, key) => map.SetItem(edit, key, 0));
        for (int position = 0; position <= SortedItemMap<int>.ChunkLength; position++)
        {
            var before = underANewEdit ? full : even.Aggregate(SortedItemMap<int>.Empty, (map, key) => map.SetItem(edit, key, 0));
            var inserted = Key(2 * position);

            var after = before.SetItem(underANewEdit ? new Edit() : edit, inserted, 1);

            Assert.Equal([.. even.Append(inserted).Order(CodePointComparer.Instance)], after.Keys);
            Assert.Equal(1, after[inserted]);
            Assert.All(even, key => Assert.Equal(0, after[key]));
            if (underANewEdit)
            {
                Assert.Equal(even, before.Keys);
            }
        }

        static string Key(int i) => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Remove_EveryKeyOfSeveralChunks_LeavesAnEmptyMapThatTakesKeysAgain()
    {
        var edit = new Edit();
        var keys = Enumerable.Range(0, 300).Select(i => i.ToString("D3", System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        var map = keys.Aggregate(SortedItemMap<int>.Empty, (m, key) => m.SetItem(edit, key, 0));

        var removed = keys.Reverse().Aggregate(map, (m, key) => m.Remove(new Edit(), key));

        Assert.True(removed.IsEmpty);
        Assert.Empty(removed);
        Assert.Equal(300, map.Count);
        Assert.Equal(["x"], removed.SetItem(new Edit(), "x", 1).Keys);
    }

    [Fact]
    public void SetItem_UnderAnotherEdit_LeavesTheEarlierMapUnchanged()
    {
        var first = SortedItemMap<int>.Empty.SetItem(new Edit(), "a", 1);

        var second = first.SetItem(new Edit(), "a", 2).SetItem(new Edit(), "b", 3);

        Assert.Equal([KeyValuePair.Create("a", 1)], first);
        Assert.Equal([KeyValuePair.Create("a", 2), KeyValuePair.Create("b", 3)], second);
    }

    [Fact]
    public void Indexer_ForAMissingKey_ThrowsNamingTheKey()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => SortedItemMap<int>.Empty["ghost"]);

        Assert.Contains("\"ghost\"", error.Message, StringComparison.Ordinal);
    }

    private static bool Matches(SortedItemMap<int> map, KeyValuePair<string, int>[] entries)
    {
        var keys = entries.Select(entry => entry.Key).ToHashSet(StringComparer.Ordinal);
        return map.Count == entries.Length
            && map.SequenceEqual(entries)
            && entries.All(entry => map.TryGetValue(entry.Key, out int value) && value == entry.Value)
            && KeyPool.Where(key => !keys.Contains(key)).All(key => !map.ContainsKey(key));
    }
}
