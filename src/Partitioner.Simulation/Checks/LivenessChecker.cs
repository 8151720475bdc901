using System.Collections.Immutable;

namespace Partitioner.Simulation.Checks;

/// <summary>
/// Liveness: once the last fault has ended, every present member must be Acquired (owning by its own
/// account) and the owned sets must cover the items exactly once, within the scenario's stated bound.
/// </summary>
public static class LivenessChecker
{
    /// <summary>Null when the party has converged; otherwise what is still missing, for the report.</summary>
    /// <param name="items">Every item.</param>
    /// <param name="members">Each present member: its name, whether it reports Acquired, and what it owns.</param>
    public static string? Converged(ImmutableArray<string> items, IReadOnlyList<(string Member, bool Acquired, IReadOnlyList<string> Items)> members)
    {
        if (members.Count == 0)
        {
            return "no member is present";
        }

        var waiting = members.Where(m => !m.Acquired).Select(m => m.Member).ToArray();
        if (waiting.Length > 0)
        {
            return $"not Acquired: {string.Join(", ", waiting)}";
        }

        var owned = members.SelectMany(m => m.Items).ToArray();
        var distinct = owned.ToImmutableSortedSet(StringComparer.Ordinal);
        if (owned.Length != distinct.Count)
        {
            return "an item is owned twice";
        }

        var missing = items.Where(i => !distinct.Contains(i)).ToArray();
        if (missing.Length > 0)
        {
            return $"{missing.Length} items have no owner, first '{missing[0]}'";
        }

        return owned.Length == items.Length ? null : "an owned item is not in the set";
    }
}
