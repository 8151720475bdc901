using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Cooperative mode's bookkeeping across phases: the share last computed, and the items being revoked. It outlives
/// the phases (the stability wait, the round, holding) because a revocation does: an item's work may return at any
/// time, and only then does its lock node go.
/// </summary>
/// <param name="Target">The share computed at the end of the last stability wait, sorted by code point. An item whose
/// work returns while this still wants it (the party changed back meanwhile) is claimed again with its node and token.</param>
/// <param name="Stops">Stops asked for and not answered: op id of the <see cref="StopItemWork"/> to its item.</param>
/// <param name="Revoking">The items of <paramref name="Stops"/>, to their op id: each still has its lock node.</param>
internal sealed record HandOff(
    ImmutableArray<string> Target,
    ImmutableSortedDictionary<long, string> Stops,
    ImmutableSortedDictionary<string, long> Revoking)
{
    /// <summary>No share computed, nothing being revoked: every eager member's, and a cooperative member's after a release.</summary>
    public static HandOff None { get; } = new(
        ImmutableArray<string>.Empty,
        ImmutableSortedDictionary<long, string>.Empty,
        ImmutableSortedDictionary.Create<string, long>(StringComparer.Ordinal));

    /// <summary>True when the last computed share has <paramref name="item"/>.</summary>
    public bool Wants(string item) => Target.BinarySearch(item, CodePointComparer.Instance) >= 0;

    /// <summary>True when <paramref name="item"/>'s work has been told to stop and has not returned.</summary>
    public bool IsRevoking(string item) => !Revoking.IsEmpty && Revoking.ContainsKey(item);

    // Evolve.

    /// <summary>The stability wait ended with the share <paramref name="target"/>.</summary>
    public HandOff Targeting(ImmutableArray<string> target) => this with { Target = target };

    /// <summary>The work on <paramref name="item"/> was told to stop by <paramref name="opId"/>.</summary>
    public HandOff StopSent(long opId, string item) => this with { Stops = Stops.Add(opId, item), Revoking = Revoking.Add(item, opId) };

    /// <summary>The work of the stop <paramref name="opId"/> returned.</summary>
    public HandOff Stopped(long opId) => Stops.TryGetValue(opId, out string? item)
        ? this with { Stops = Stops.Remove(opId), Revoking = Revoking.Remove(item) }
        : this;
}
