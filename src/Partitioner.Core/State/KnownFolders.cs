using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The items whose lock folder this member has seen or created, one bit per item of the configuration (in its
/// code-point order): a member with 100,000 items keeps 12.5 KB here, not a tree node per item. The bits are in
/// chunks, so recording a batch of folders copies the chunk it touches (and the table of chunks), not every bit.
/// </summary>
internal sealed class KnownFolders
{
    // 32 words (2,048 items) a chunk: a batch's folders touch a word or two, and a first allocation's 800 batches each
    // copied a chunk of 256 words (2 KB) where one of 32 does.
    private const int WordsPerChunkBits = 5;

    private readonly ChunkedArray<ulong>? _bits;

    private KnownFolders(ChunkedArray<ulong>? bits) => _bits = bits;

    /// <summary>No folder known (for any configuration: the bits are made on the first change).</summary>
    public static KnownFolders None { get; } = new(null);

    /// <summary>True when <paramref name="item"/>'s folder is known to exist.</summary>
    public bool Contains(PartitionerConfig config, string item) =>
        config.Items.BinarySearch(item, CodePointComparer.Instance) is int i and >= 0 && IsSet(i);

    /// <summary>Those of <paramref name="items"/> (in code-point order, for speed) whose folder is not known to exist.</summary>
    public ImmutableArray<string> Unknown(PartitionerConfig config, ImmutableArray<string> items)
    {
        // A member's first round knows no folder: every item is unknown, and the items are handed back as they are
        // rather than copied (100,000 of them cost an array and its builder's growth).
        if (_bits is null)
        {
            return items;
        }

        var positions = new SortedPositions(config.Items);
        var unknown = ImmutableArray.CreateBuilder<string>(items.Length);
        foreach (string item in items)
        {
            if (positions.Find(item) is var i && (i < 0 || !IsSet(i)))
            {
                unknown.Add(item);
            }
        }

        return unknown.Count == items.Length ? unknown.MoveToImmutable() : unknown.ToImmutable();
    }

    // Evolve.

    /// <summary>The folders of <paramref name="items"/> exist; values that are not items are ignored.</summary>
    public KnownFolders With(Edit edit, PartitionerConfig config, IEnumerable<string> items) => Set(edit, config, items, known: true);

    /// <summary>The folders of <paramref name="items"/> may not exist any more.</summary>
    public KnownFolders Without(Edit edit, PartitionerConfig config, IEnumerable<string> items) => Set(edit, config, items, known: false);

    private bool IsSet(int i) => _bits is { } bits && i / 64 < bits.Length && (bits[i / 64] & (1UL << (i % 64))) != 0;

    private KnownFolders Set(Edit edit, PartitionerConfig config, IEnumerable<string> items, bool known)
    {
        var bits = _bits ?? ChunkedArray<ulong>.Filled((config.Items.Length + 63) / 64, 0, edit, WordsPerChunkBits);
        var original = bits;
        var positions = new SortedPositions(config.Items);
        foreach (string item in items)
        {
            int i = positions.Find(item);
            if (i < 0 || i / 64 >= bits.Length)
            {
                continue;
            }

            ulong mask = 1UL << (i % 64);
            ulong word = bits[i / 64];
            ulong updated = known ? word | mask : word & ~mask;
            if (updated != word)
            {
                bits = bits.SetItem(edit, i / 64, updated);
            }
        }

        return ReferenceEquals(bits, original) && _bits is not null ? this : new KnownFolders(bits);
    }
}
