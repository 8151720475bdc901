using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Every lock node this member has or may have, whatever the phase, so that none is ever leaked:
/// nodes known to exist, creates whose outcome is unknown, creates and deletes in flight.
/// </summary>
/// <param name="OwnNodes">Item to the name of this member's lock node in that item's folder.</param>
/// <param name="Uncertain">Items whose lock create failed with ConnectionLoss: a node may exist. A later read of
/// the folder finds it by this member's prefix (kazoo's <c>_find_node</c>), to reuse or delete it.</param>
/// <param name="PendingCreates">Lock creates in flight: op id to items, in request order.</param>
/// <param name="PendingDeletes">Deletes in flight: op id to paths.</param>
/// <param name="LostDeletes">Paths whose delete failed with ConnectionLoss, retried when the connection is back.</param>
/// <param name="Sweeps">Reads of uncertain folders in flight: op id to items.</param>
internal sealed record LockLedger(
    ImmutableSortedDictionary<string, string> OwnNodes,
    ImmutableSortedSet<string> Uncertain,
    ImmutableSortedDictionary<long, ImmutableArray<string>> PendingCreates,
    ImmutableSortedDictionary<long, ImmutableArray<string>> PendingDeletes,
    ImmutableSortedSet<string> LostDeletes,
    ImmutableSortedDictionary<long, ImmutableArray<string>> Sweeps)
{
    /// <summary>No nodes, nothing in flight.</summary>
    public static LockLedger Empty { get; } = new(
        ImmutableSortedDictionary.Create<string, string>(StringComparer.Ordinal),
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal),
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal),
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty);

    /// <summary>True when nothing about lock nodes is pending or unknown (used to finish a release).</summary>
    public bool IsSettled =>
        Uncertain.IsEmpty && PendingCreates.IsEmpty && PendingDeletes.IsEmpty && LostDeletes.IsEmpty && Sweeps.IsEmpty;
}
