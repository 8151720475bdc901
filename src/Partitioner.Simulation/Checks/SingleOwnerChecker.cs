namespace Partitioner.Simulation.Checks;

/// <summary>
/// Single owner: no item is in the owned set of two members at one instant. A member's owned set is
/// what its partitioner reports (empty unless Acquired and its session could still be alive by its own
/// clock); a crashed process owns nothing. Paused members count: they may resume and carry on working.
/// </summary>
public static class SingleOwnerChecker
{
    /// <summary>The first item owned twice, as a message; null when every item has at most one owner.</summary>
    /// <param name="owners">Each member's name and owned items.</param>
    public static string? Check(IEnumerable<(string Member, IReadOnlyList<string> Items)> owners)
    {
        var ownerOf = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (member, items) in owners)
        {
            foreach (var item in items)
            {
                if (!ownerOf.TryAdd(item, member))
                {
                    return $"item '{item}' is owned by both {ownerOf[item]} and {member}";
                }
            }
        }

        return null;
    }
}
