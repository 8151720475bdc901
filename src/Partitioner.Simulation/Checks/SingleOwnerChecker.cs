namespace Partitioner.Simulation.Checks;

/// <summary>
/// Single owner: no item is in the owned set of two members at one instant. A member's owned set is
/// what its partitioner reports (empty unless Acquired and its session could still be alive by its own
/// clock); a crashed process owns nothing. Paused members count: they may resume and carry on working.
/// The callers leave out a member whose session an operator killed by decree (<see cref="Faults.FaultKind.SessionExpiry"/>,
/// <see cref="Model.ServerSession.ForcedExpiry"/>): no member can know of such a kill in time, which is the one
/// case the README's guarantee leaves to fencing tokens. Every other expiry in the model is the leader's, after
/// the session timeout without hearing of the session, and is checked.
/// </summary>
public static class SingleOwnerChecker
{
    /// <summary>The first item owned twice, as a message; null when every item has at most one owner.</summary>
    /// <param name="owners">Each member's name and owned items.</param>
    public static string? Check(IEnumerable<(string Member, IReadOnlyList<string> Items)> owners)
    {
        ArgumentNullException.ThrowIfNull(owners);
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

    /// <summary>True when an operator killed <paramref name="sessionId"/> by decree: its claims are left to fencing.</summary>
    public static bool KilledByOperator(Model.InMemoryZooKeeper server, long sessionId) =>
        server.Session(sessionId) is { ForcedExpiry: true };
}
