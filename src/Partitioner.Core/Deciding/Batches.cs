using System.Collections.Immutable;
using System.Text;

namespace Partitioner.Core;

/// <summary>
/// Splits work into multi and multiRead requests of at most <see cref="PartitionerConfig.BatchSize"/> ops and at
/// most <see cref="RequestBytesMax"/> encoded bytes, so that long item names cannot push a request (or its reply,
/// which echoes the created paths) past ZooKeeper's 1 MiB frame limit (<c>jute.maxbuffer</c>).
/// </summary>
internal static class Batches
{
    /// <summary>The most bytes of ops one request may carry: half the server's default frame limit, leaving room for the reply.</summary>
    public const int RequestBytesMax = 512 * 1024;

    /// <summary>
    /// A generous bound on what one op costs besides its path and data: op header, lengths, flags and the
    /// open ACL (scheme "world", id "anyone") a create carries.
    /// </summary>
    public const int OpOverheadBytes = 64;

    /// <summary>Batches of at most <paramref name="countMax"/> values and <see cref="RequestBytesMax"/> bytes, where a value costs <paramref name="bytesOf"/>.</summary>
    public static IEnumerable<ImmutableArray<T>> Of<T>(IEnumerable<T> values, int countMax, Func<T, int> bytesOf)
    {
        var batch = ImmutableArray.CreateBuilder<T>();
        long bytes = 0;
        foreach (T value in values)
        {
            int cost = bytesOf(value);
            if (batch.Count > 0 && (batch.Count >= countMax || bytes + cost > RequestBytesMax))
            {
                yield return batch.ToImmutable();
                batch.Clear();
                bytes = 0;
            }

            batch.Add(value);
            bytes += cost;
        }

        if (batch.Count > 0)
        {
            yield return batch.ToImmutable();
        }
    }

    /// <summary>Batches of znode paths (deletes), each costing its UTF-8 length and one op's overhead.</summary>
    public static IEnumerable<ImmutableArray<string>> OfPaths(IEnumerable<string> paths, int countMax) =>
        Of(paths, countMax, path => Encoding.UTF8.GetByteCount(path) + OpOverheadBytes);

    /// <summary>
    /// Batches of items, each costing what its costliest request holds: its folder's create and its lock node's
    /// create with the identifier as data (the lock path is the folder's plus the 32-hex prefix, "__lock__" and
    /// 10 digits, all ASCII).
    /// </summary>
    public static IEnumerable<ImmutableArray<string>> OfItems(PartitionerConfig config, IEnumerable<string> items, int countMax) =>
        Of(items, countMax, ItemCost<string>(config, item => item));

    /// <summary>What a value naming an item (<paramref name="itemOf"/> gives the item) costs in a batch; see <see cref="OfItems"/>.</summary>
    public static Func<T, int> ItemCost<T>(PartitionerConfig config, Func<T, string> itemOf)
    {
        int fixedBytes = 2 * (Encoding.UTF8.GetByteCount(config.Path) + "/locks/".Length + OpOverheadBytes)
            + "/".Length + PartitionerConfig.ContenderPrefixLength + "__lock__".Length + 10
            + Encoding.UTF8.GetByteCount(config.Identifier);
        return value => fixedBytes + 2 * Encoding.UTF8.GetByteCount(itemOf(value));
    }

    /// <summary>The data of this member's party and lock nodes: its identifier in UTF-8, as kazoo writes it.</summary>
    public static ImmutableArray<byte> IdentifierData(PartitionerConfig config) =>
        [.. Encoding.UTF8.GetBytes(config.Identifier)];
}
