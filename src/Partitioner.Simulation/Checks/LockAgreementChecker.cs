using System.Globalization;
using Partitioner.Simulation.Model;

namespace Partitioner.Simulation.Checks;

/// <summary>One owner as the lock-agreement check sees it.</summary>
/// <param name="Member">The member's name.</param>
/// <param name="SessionId">Its current session.</param>
/// <param name="ContenderPrefix">The 32-hex prefix of its lock nodes.</param>
/// <param name="Items">The items it reports owning (non-empty).</param>
/// <param name="ClientConnected">The member's client still believes it is connected (it has not read a close).</param>
/// <param name="PrefixOf">
/// For a member with a prefix per lock (kazoo's), the prefix of its lock of an item, instead of <paramref name="ContenderPrefix"/>; null otherwise.
/// </param>
public readonly record struct LockClaim(string Member, long SessionId, string ContenderPrefix, IReadOnlyList<string> Items, bool ClientConnected,
    Func<string, string?>? PrefixOf = null);

/// <summary>
/// Lock agreement: a member that reports owning items holds, for each of them, the lowest
/// <c>__lock__</c> contender under <c>P/locks/&lt;item&gt;</c>, created by its current session, and that
/// session is alive on the server. One exception, stated here because it is outside what any member can know:
/// a session that an operator killed by decree (<see cref="ServerSession.ForcedExpiry"/>) is not checked, as in
/// <see cref="SingleOwnerChecker"/>; fencing tokens are what protects the work then.
/// </summary>
public static class LockAgreementChecker
{
    private const string LockMarker = "__lock__";

    /// <summary>The first disagreement, as a message; null when every claim is backed by the server.</summary>
    public static string? Check(InMemoryZooKeeper server, string partyPath, IEnumerable<LockClaim> claims)
    {
        var locks = server.Find(partyPath + "/locks");
        foreach (var claim in claims)
        {
            if (CheckSession(server, claim, out bool exempt) is { } ended)
            {
                return ended;
            }

            if (exempt)
            {
                continue;
            }

            foreach (var item in claim.Items)
            {
                if (CheckItem(locks, partyPath, claim, item) is { } problem)
                {
                    return problem;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// The session part of the check: null when the claim's session is alive, or when an operator killed it
    /// by decree (then <paramref name="exempt"/> is true and the claim's items are not checked either).
    /// </summary>
    public static string? CheckSession(InMemoryZooKeeper server, LockClaim claim, out bool exempt)
    {
        exempt = false;
        var session = server.Session(claim.SessionId);
        if (session is null || !session.Alive)
        {
            if (session is { ForcedExpiry: true })
            {
                exempt = true;
                return null;
            }

            return $"{claim.Member} owns {claim.Items.Count} items on session 0x{claim.SessionId:x}, which the server has ended";
        }

        return null;
    }

    /// <summary>The part of the check for one item of a claim; <paramref name="locks"/> is the party's <c>locks</c> node (null if missing).</summary>
    public static string? CheckItem(ZNode? locks, string partyPath, LockClaim claim, string item)
    {
        var prefix = claim.PrefixOf is { } of ? of(item) : claim.ContenderPrefix;
        var problem = prefix is null ? "it has no lock for it" : CheckFolder(locks?.Child(item), $"{partyPath}/locks/{item}", claim, prefix);
        return problem is null ? null : $"{claim.Member} owns item '{item}' but {problem}";
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

    private static string? CheckFolder(ZNode? lockNode, string lockPath, LockClaim claim, string prefix)
    {
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

        if (lowest.EphemeralOwner != claim.SessionId || !lowest.Name.StartsWith(prefix, StringComparison.Ordinal))
        {
            return $"the lowest contender is {lowest.Name} of session 0x{lowest.EphemeralOwner:x}, not its own (session 0x{claim.SessionId:x}, prefix {prefix})";
        }

        return null;
    }
}
