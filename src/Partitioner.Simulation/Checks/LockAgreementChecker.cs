using System.Globalization;
using Partitioner.Simulation.Model;

namespace Partitioner.Simulation.Checks;

/// <summary>One owner as the lock-agreement check sees it.</summary>
/// <param name="Member">The member's name.</param>
/// <param name="SessionId">Its current session.</param>
/// <param name="ContenderPrefix">The 32-hex prefix of its lock nodes.</param>
/// <param name="Items">The items it reports owning (non-empty).</param>
/// <param name="ClientConnected">The member's client still believes it is connected (it has not read a close).</param>
public readonly record struct LockClaim(string Member, long SessionId, string ContenderPrefix, IReadOnlyList<string> Items, bool ClientConnected);

/// <summary>
/// Lock agreement: a member that reports owning items holds, for each of them, the lowest
/// <c>__lock__</c> contender under <c>P/locks/&lt;item&gt;</c>, created by its current session, and that
/// session is alive on the server. One exception, stated here because it is outside the model's timing
/// assumptions: a session that a fault ended by decree (<see cref="ServerSession.ForcedExpiry"/>) is not
/// checked until its client has read the close, since no client can know of it sooner.
/// </summary>
public static class LockAgreementChecker
{
    private const string LockMarker = "__lock__";

    /// <summary>The first disagreement, as a message; null when every claim is backed by the server.</summary>
    public static string? Check(InMemoryZooKeeper server, string partyPath, IEnumerable<LockClaim> claims)
    {
        foreach (var claim in claims)
        {
            var session = server.Session(claim.SessionId);
            if (session is null || !session.Alive)
            {
                if (session is { ForcedExpiry: true } && claim.ClientConnected)
                {
                    continue;
                }

                return $"{claim.Member} owns {claim.Items.Count} items on session 0x{claim.SessionId:x}, which the server has ended";
            }

            foreach (var item in claim.Items)
            {
                var problem = CheckItem(server, $"{partyPath}/locks/{item}", claim);
                if (problem is not null)
                {
                    return $"{claim.Member} owns item '{item}' but {problem}";
                }
            }
        }

        return null;
    }

    /// <summary>The sequence number of a contender node name, or null when the name is not a contender.</summary>
    public static long? SequenceOf(string name)
    {
        // kazoo's contender pattern: __lock__(-?\d{10})$
        int marker = name.LastIndexOf(LockMarker, StringComparison.Ordinal);
        if (marker < 0)
        {
            return null;
        }

        var suffix = name.AsSpan(marker + LockMarker.Length);
        var digits = suffix.StartsWith("-") ? suffix[1..] : suffix;
        if (digits.Length != 10 || !long.TryParse(suffix, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var sequence))
        {
            return null;
        }

        return sequence;
    }

    private static string? CheckItem(InMemoryZooKeeper server, string lockPath, LockClaim claim)
    {
        var lockNode = server.Find(lockPath);
        if (lockNode is null)
        {
            return $"{lockPath} does not exist";
        }

        ZNode? lowest = null;
        long lowestSequence = long.MaxValue;
        foreach (var name in lockNode.ChildNames)
        {
            if (SequenceOf(name) is { } sequence && sequence < lowestSequence)
            {
                lowestSequence = sequence;
                lowest = lockNode.Child(name);
            }
        }

        if (lowest is null)
        {
            return $"{lockPath} has no contender";
        }

        if (lowest.EphemeralOwner != claim.SessionId || !lowest.Name.StartsWith(claim.ContenderPrefix, StringComparison.Ordinal))
        {
            return $"the lowest contender is {lowest.Name} of session 0x{lowest.EphemeralOwner:x}, not its own (session 0x{claim.SessionId:x}, prefix {claim.ContenderPrefix})";
        }

        return null;
    }
}
