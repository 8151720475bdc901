namespace Partitioner.Simulation;

/// <summary>How the C# members of a simulated party rebalance.</summary>
public enum PartyRebalance
{
    /// <summary>Every C# member in kazoo's eager mode with kazoo's round-robin function (the library's default).</summary>
    Eager,

    /// <summary>
    /// Every C# member in cooperative mode with the sticky function (<c>PartitionFunctions.Sticky</c>); no kazoo members,
    /// which cannot take part in such a party.
    /// </summary>
    Cooperative,

    /// <summary>
    /// Members of both modes on one path (and kazoo members, which count as eager): a misconfigured party, which the
    /// members must detect and report rather than share the items with two different functions.
    /// </summary>
    Mixed,
}
