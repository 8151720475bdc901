using System.Collections.Immutable;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Partitioner.Core;

/// <summary>The checks behind <see cref="PartitionerConfig.Create"/>; each error names the parameter and the value.</summary>
internal static class ConfigValidation
{
    public static void CheckPath(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string? why = WhyNotAbsolutePath(path);
        if (why is not null)
        {
            throw new ArgumentException($"The path {ZnodeNameRules.Quote(path)} is not an absolute znode path: it {why}.", nameof(path));
        }
    }

    public static ImmutableArray<string> CheckItems(IEnumerable<string> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        // Checked in the given order, then sorted once: a sorted set costs a tree node per item and several
        // times the comparisons, which dominated building a partitioner for thousands of items.
        var all = items.TryGetNonEnumeratedCount(out int count) ? new List<string>(count) : new List<string>();
        foreach (string item in items)
        {
            if (item is null)
            {
                throw new ArgumentException("An item is null.", nameof(items));
            }

            string? why = ZnodeNameRules.WhyNotNodeName(item);
            if (why is not null)
            {
                throw new ArgumentException($"The item {ZnodeNameRules.Quote(item)} cannot be a znode name: it {why}.", nameof(items));
            }

            all.Add(item);
        }

        var sorted = all.ToArray();
        if (!CodePointComparer.IsStrictlyAscending(sorted))
        {
            CodePointSort.Sort(sorted);
        }

        for (int i = 1; i < sorted.Length; i++)
        {
            if (string.Equals(sorted[i - 1], sorted[i], StringComparison.Ordinal))
            {
                throw new ArgumentException($"The item {ZnodeNameRules.Quote(sorted[i])} appears more than once.", nameof(items));
            }
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(sorted);
    }

    public static void CheckIdentifier(string identifier)
    {
        ArgumentNullException.ThrowIfNull(identifier);
        string? why = identifier.Length == 0 ? "is empty"
            : identifier.Contains('/', StringComparison.Ordinal) ? "contains '/'"
            : ZnodeNameRules.WhyRefusedChars(identifier);
        if (why is not null)
        {
            throw new ArgumentException($"The identifier {ZnodeNameRules.Quote(identifier)} is not valid: it {why}.", nameof(identifier));
        }
    }

    public static void CheckContenderPrefix(string contenderPrefix)
    {
        ArgumentNullException.ThrowIfNull(contenderPrefix);
        bool valid = contenderPrefix.Length == PartitionerConfig.ContenderPrefixLength
            && contenderPrefix.All(c => c is (>= '0' and <= '9') or (>= 'a' and <= 'f'));
        if (!valid)
        {
            throw new ArgumentException(
                $"The contender prefix {ZnodeNameRules.Quote(contenderPrefix)} is not {PartitionerConfig.ContenderPrefixLength} lowercase hex digits.",
                nameof(contenderPrefix));
        }
    }

    public static void CheckDurations(TimeSpan timeBoundary, TimeSpan maxReactionTime)
    {
        if (timeBoundary < TimeSpan.Zero)
        {
            throw new ArgumentException($"The time boundary {Show(timeBoundary)} is negative.", nameof(timeBoundary));
        }

        if (maxReactionTime <= TimeSpan.Zero)
        {
            throw new ArgumentException($"The max reaction time {Show(maxReactionTime)} is not positive.", nameof(maxReactionTime));
        }
    }

    public static void CheckBatchSize(int batchSize)
    {
        if (batchSize is < 1 or > PartitionerConfig.BatchSizeMax)
        {
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"The batch size {batchSize} is outside 1..{PartitionerConfig.BatchSizeMax}."),
                nameof(batchSize));
        }
    }

    private static string? WhyNotAbsolutePath(string path)
    {
        if (path.Length == 0)
        {
            return "is empty";
        }

        if (path[0] != '/')
        {
            return "does not start with '/'";
        }

        if (path.Length == 1)
        {
            return "is the root '/', which cannot hold a party";
        }

        if (path[^1] == '/')
        {
            return "ends with '/'";
        }

        foreach (string segment in path[1..].Split('/'))
        {
            string? why = ZnodeNameRules.WhyNotNodeName(segment);
            if (why is not null)
            {
                return $"has a segment {ZnodeNameRules.Quote(segment)} that {why}";
            }
        }

        return null;
    }

    private static string Show(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);
}
