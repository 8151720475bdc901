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

    /// <summary>
    /// How many writes or reads go into one multi or multiRead request. A request also stays under 512 KiB of
    /// encoded ops whatever this says, so long item names give smaller batches.
    /// </summary>
    public int BatchSize { get; init; } = 250;

    /// <summary>The ACLs of the nodes the recipe creates. The default is <see cref="PartyAcl.OpenUnsafe"/>, as kazoo's.</summary>
    public PartyAcl Acl { get; init; } = PartyAcl.OpenUnsafe;

    /// <summary>
    /// How the member's share changes on a party change: <see cref="RebalanceMode.Eager"/> (kazoo's, the default) or
    /// <see cref="RebalanceMode.Cooperative"/>. Every member of a party must use the same one. The default is
    /// <see cref="RebalanceMode.Eager"/>.
    /// </summary>
    public RebalanceMode Rebalance { get; init; } = RebalanceMode.Eager;

    /// <summary>The largest <see cref="BatchSize"/>; requests are split by size too, as ZooKeeper refuses frames above 1 MiB by default.</summary>
    public const int BatchSizeMax = 1000;

    /// <summary>The length of <see cref="ContenderPrefix"/>: a UUID's 32 lowercase hex digits, as kazoo writes it.</summary>
    public const int ContenderPrefixLength = 32;

    /// <summary>
    /// Builds a configuration, checking every value: the path, each item, the identifier, the prefix,
    /// the durations and the batch size. Items are stored sorted by code point; a duplicate is refused.
    /// An empty set of items is valid: every member then acquires nothing.
    /// </summary>
    /// <param name="path">An absolute znode path such as <c>/app/work</c>: no trailing '/', no empty, '.' or '..' segment, no character ZooKeeper refuses.</param>
    /// <param name="items">The items; each becomes a znode name under <c>P/locks</c>, so none may be empty, '.', '..', or contain '/' or a refused character.</param>
    /// <param name="identifier">This member's identifier: not empty, no '/', no refused character. It may contain '-'.</param>
    /// <param name="contenderPrefix">Exactly 32 lowercase hex digits (<c>Guid.ToString("N")</c>), random per member.</param>
    /// <param name="timeBoundary">How long the party must be unchanged before allocating; zero or more.</param>
    /// <param name="maxReactionTime">The retry delay after a transient failure; more than zero.</param>
    /// <param name="partitionFunction">A custom partition function; kazoo's round-robin when null.</param>
    /// <param name="partitionFunctionName">
    /// A name for the function, for event logs and for the cooperative members' declarations, which must agree; when null,
    /// "round-robin" for none or <see cref="PartitionFunctions.RoundRobin"/>, "sticky" for <see cref="PartitionFunctions.Sticky"/>,
    /// "custom" otherwise.
    /// </param>
    /// <param name="batchSize">Ops per multi or multiRead request, 1 to <see cref="BatchSizeMax"/>. The default is 250.</param>
    /// <param name="acl">The ACLs of the nodes the recipe creates; <see cref="PartyAcl.OpenUnsafe"/> when null.</param>
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
        int batchSize = 250,
        PartyAcl? acl = null)
    {
        ConfigValidation.CheckPath(path);
        var sortedItems = ConfigValidation.CheckItems(items);
        ConfigValidation.CheckIdentifier(identifier);
        ConfigValidation.CheckContenderPrefix(contenderPrefix);
        ConfigValidation.CheckDurations(timeBoundary, maxReactionTime);
        ConfigValidation.CheckBatchSize(batchSize);
        acl?.Validate();
        return new PartitionerConfig
        {
            Path = path,
            Items = sortedItems,
            Identifier = identifier,
            ContenderPrefix = contenderPrefix,
            TimeBoundary = timeBoundary,
            MaxReactionTime = maxReactionTime,
            PartitionFunction = partitionFunction,
            PartitionFunctionName = partitionFunctionName ?? NameOf(partitionFunction),
            BatchSize = batchSize,
            Acl = acl ?? PartyAcl.OpenUnsafe,
        };
    }

    /// <summary>The name of a function given without one: "round-robin" and "sticky" for this library's, "custom" otherwise.</summary>
    private static string NameOf(PartitionFunction? function) =>
        function is null || function.Equals((PartitionFunction)PartitionFunctions.RoundRobin) ? "round-robin"
        : function.Equals((PartitionFunction)PartitionFunctions.Sticky) ? "sticky"
        : "custom";

    /// <summary>This member's party node name, <c>&lt;prefix&gt;-&lt;identifier&gt;</c>.</summary>
    internal string PartyNodeName => ZnodePaths.PartyNodeName(ContenderPrefix, Identifier);

    /// <summary>This member's party node path.</summary>
    internal string PartyNodePath => ZnodePaths.Party(Path) + "/" + PartyNodeName;
}
