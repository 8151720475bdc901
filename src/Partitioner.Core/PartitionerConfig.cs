using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Everything a member's decisions depend on besides events. Built once through
/// <see cref="Create"/>, which refuses bad input with an error that names the bad value.
/// </summary>
public sealed record PartitionerConfig
{
    /// <summary>The party's root znode, <c>P</c>: its children are <c>P/locks</c> and <c>P/party</c>.</summary>
    public required string Path { get; init; }

    /// <summary>The items to divide, distinct, sorted by Unicode code point.</summary>
    public required ImmutableArray<string> Items { get; init; }

    /// <summary>This member's identifier, unique in the party; the text after the first '-' of its party node.</summary>
    public required string Identifier { get; init; }

    /// <summary>32 lowercase hex digits that name this member's party node and lock nodes; random, chosen by the shell.</summary>
    public required string ContenderPrefix { get; init; }

    /// <summary>How long the party must stay unchanged before allocating. kazoo's default is 30 seconds.</summary>
    public required TimeSpan TimeBoundary { get; init; }

    /// <summary>How long to wait before retrying after a transient failure (kazoo's <c>max_reaction_time</c>).</summary>
    public required TimeSpan MaxReactionTime { get; init; }

    /// <summary>The partition function; kazoo's round-robin when null.</summary>
    public PartitionFunction? PartitionFunction { get; init; }

    /// <summary>A name for the partition function, written to event logs so that a replay can check it uses the same one.</summary>
    public string PartitionFunctionName { get; init; } = "round-robin";

    /// <summary>How many writes or reads go into one multi or multiRead request.</summary>
    public int BatchSize { get; init; } = 250;

    /// <summary>
    /// Builds a configuration, checking every value: the path, each item, the identifier, the prefix,
    /// the durations and the batch size. Items are de-duplicated only in the sense that a duplicate is refused.
    /// </summary>
    /// <exception cref="ArgumentException">A value is not valid; the message names it.</exception>
    public static PartitionerConfig Create(
        string path,
        IEnumerable<string> items,
        string identifier,
        string contenderPrefix,
        TimeSpan timeBoundary,
        TimeSpan maxReactionTime,
        PartitionFunction? partitionFunction = null,
        string? partitionFunctionName = null,
        int batchSize = 250)
    {
        // TODO(issue 2): validation.
        return new PartitionerConfig
        {
            Path = path,
            Items = items.ToImmutableArray(),
            Identifier = identifier,
            ContenderPrefix = contenderPrefix,
            TimeBoundary = timeBoundary,
            MaxReactionTime = maxReactionTime,
            PartitionFunction = partitionFunction,
            PartitionFunctionName = partitionFunctionName ?? (partitionFunction is null ? "round-robin" : "custom"),
            BatchSize = batchSize,
        };
    }
}
