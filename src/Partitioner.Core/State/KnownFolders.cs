using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// The items whose lock folder this member has seen or created, one bit per item of the configuration (in its
/// code-point order): a member with 100,000 items keeps 12.5 KB here, not a tree node per item.
/// </summary>
internal sealed record KnownFolders(ImmutableArray<ulong> Bits)
{
    /// <summary>No folder known, for <paramref name="config"/>'s items.</summary>
    public static KnownFolders None(PartitionerConfig config) => new(ImmutableArray.Create(new ulong[(config.Items.Length + 63) / 64]));

    /// <summary>True when <paramref name="item"/>'s folder is known to exist.</summary>
    public bool Contains(PartitionerConfig config, string item) =>
        IndexOf(config, item) is int i and >= 0 && i / 64 < Bits.Length && (Bits[i / 64] & (1UL << (i % 64))) != 0;

    // Evolve.

    /// <summary>The folders of <paramref name="items"/> exist; values that are not items are ignored.</summary>
    public KnownFolders With(PartitionerConfig config, IEnumerable<string> items) => Set(config, items, known: true);

    /// <summary>The folders of <paramref name="items"/> may not exist any more.</summary>
    public KnownFolders Without(PartitionerConfig config, IEnumerable<string> items) => Set(config, items, known: false);

    private KnownFolders Set(PartitionerConfig config, IEnumerable<string> items, bool known)
    {
        var bits = Bits.IsDefaultOrEmpty ? new ulong[(config.Items.Length + 63) / 64] : Bits.ToArray();
        bool changed = false;
        foreach (string item in items)
        {
            int i = IndexOf(config, item);
            if (i < 0)
            {
                continue;
            }

            ulong mask = 1UL << (i % 64);
            ulong updated = known ? bits[i / 64] | mask : bits[i / 64] & ~mask;
            changed |= updated != bits[i / 64];
            bits[i / 64] = updated;
        }

        return changed ? new KnownFolders(ImmutableArray.Create(bits)) : this;
    }

    private static int IndexOf(PartitionerConfig config, string item) => config.Items.BinarySearch(item, CodePointComparer.Instance);
}
