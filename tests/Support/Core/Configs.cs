using Partitioner.Core;

namespace Partitioner.Tests.Support.Core;

/// <summary>Configurations for tests: path /p, a fixed prefix per identifier, short times.</summary>
internal static class Configs
{
    public const string Root = "/p";

    public static PartitionerConfig For(string identifier, IEnumerable<string> items, string? prefix = null, int batchSize = 250, PartitionFunction? function = null) =>
        PartitionerConfig.Create(
            Root,
            items,
            identifier,
            prefix ?? PrefixFor(identifier),
            timeBoundary: TimeSpan.FromSeconds(1),
            maxReactionTime: TimeSpan.FromMilliseconds(500),
            partitionFunction: function,
            batchSize: batchSize);

    public static PartitionerConfig For(string identifier, int itemCount, string? prefix = null, int batchSize = 250) =>
        For(identifier, Enumerable.Range(0, itemCount).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), prefix, batchSize);

    /// <summary>A 32-hex prefix derived from the identifier, so tests are readable and repeatable.</summary>
    public static string PrefixFor(string identifier)
    {
        var hex = string.Concat(identifier.Select(c => ((int)c).ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));
        return (hex + new string('0', 32))[..32];
    }
}
