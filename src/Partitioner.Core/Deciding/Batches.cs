using System.Collections.Immutable;
using System.Text;

namespace Partitioner.Core;

/// <summary>Splits work into multi and multiRead requests of at most <see cref="PartitionerConfig.BatchSize"/> ops.</summary>
internal static class Batches
{
    public static IEnumerable<ImmutableArray<string>> Of(IEnumerable<string> values, int batchSize) =>
        values.Chunk(batchSize).Select(chunk => chunk.ToImmutableArray());

    /// <summary>The data of this member's party and lock nodes: its identifier in UTF-8, as kazoo writes it.</summary>
    public static ImmutableArray<byte> IdentifierData(PartitionerConfig config) =>
        [.. Encoding.UTF8.GetBytes(config.Identifier)];
}
