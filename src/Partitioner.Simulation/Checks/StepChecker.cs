using Partitioner.Simulation.Model;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Running;

namespace Partitioner.Simulation.Checks;

/// <summary>
/// Single owner and lock agreement after every scheduler step, done incrementally so that a step costs
/// what it changed rather than the whole party: a member's owned items are re-read only when its
/// partitioner's state, owned count or session moved, and a lock folder is re-read only when a write
/// changed its children or its owner's claim changed. The answers are those of
/// <see cref="SingleOwnerChecker"/> and <see cref="LockAgreementChecker"/> over everything.
/// </summary>
internal sealed class StepChecker
{
    private readonly SimCluster cluster;
    private readonly string locksPrefix = SimCluster.PartyPath + "/locks/";
    private readonly Dictionary<string, SimulatedMember> ownerOf = new(StringComparer.Ordinal);
    // What the last step saw of each member, by its index in the cluster's members (which only grow).
    private readonly List<Seen> seen = new();
    private readonly HashSet<string> changedFolders = new(StringComparer.Ordinal);
    private readonly List<SimulatedMember> changed = new();
    private readonly HashSet<SimulatedMember> exempt = new();
    private readonly List<string> folders = new();

    public StepChecker(SimCluster cluster)
    {
        this.cluster = cluster;
        cluster.Server.ChangedParents = changedFolders;
    }

    /// <summary>True when something the checks or the convergence test read has moved since the last call.</summary>
    public bool Moved { get; private set; }

    /// <summary>Runs the checks for what moved in the last step; returns the first violation found.</summary>
    public Violation? Check()
    {
        Moved = changedFolders.Count > 0;
        changed.Clear();
        var members = cluster.Members;
        for (int i = 0; i < members.Count; i++)
        {
            var member = members[i];
            var now = Seen.Of(member, cluster.Server);
            if (i == seen.Count)
            {
                changed.Add(member);
                seen.Add(now);
            }
            else if (seen[i] != now)
            {
                changed.Add(member);
                seen[i] = now;
            }
        }

        Moved |= changed.Count > 0;
        if (!Moved)
        {
            return null;
        }

        var time = cluster.Scheduler.Now;
        if (UpdateOwners() is { } twice)
        {
            return new Violation(ViolationKind.SingleOwner, time, twice);
        }

        if (CheckLocks() is { } disagreement)
        {
            return new Violation(ViolationKind.LockAgreement, time, disagreement);
        }

        return null;
    }

    private string? UpdateOwners()
    {
        // Every changed member gives up what it owned before, then takes what it owns now, so an item that
        // moved between two changed members in one step is not mistaken for one owned twice.
        foreach (var member in changed)
        {
            foreach (var item in member.LastChecked)
            {
                if (ownerOf.TryGetValue(item, out var owner) && ReferenceEquals(owner, member))
                {
                    ownerOf.Remove(item);
                }
            }
        }

        foreach (var member in changed)
        {
            // A session an operator killed owns nothing as far as the checks go: left to fencing (see SingleOwnerChecker).
            var owned = KilledByOperator(member) ? Array.Empty<string>() : member.Owned;
            member.LastChecked = owned;
            foreach (var item in owned)
            {
                if (ownerOf.TryAdd(item, member))
                {
                    continue;
                }

                var other = ownerOf[item];
                bool otherStale = cluster.IsOperatorStale(other, item);
                if (!otherStale && !cluster.IsOperatorStale(member, item))
                {
                    return $"item '{item}' is owned by both {other.Name} and {member.Name}";
                }

                // An operator deleted the lock under one of them: no member could know in time. Recorded
                // apart, and the map keeps the owner whose grant is real.
                cluster.OperatorOverlaps++;
                cluster.Trace.Timeline($"operator overlap: item '{item}' owned by both {other.Name} and {member.Name} after an operator deleted a lock node");
                if (otherStale)
                {
                    ownerOf[item] = member;
                }
            }
        }

        return null;
    }

    private string? CheckLocks()
    {
        var server = cluster.Server;
        var locks = server.Find(SimCluster.PartyPath + "/locks");

        // The session part is cheap and can change without a write (a client reading a close): every claim, every step.
        exempt.Clear();
        foreach (var member in cluster.Members)
        {
            if (Claim(member) is not { } claim)
            {
                continue;
            }

            if (LockAgreementChecker.CheckSession(server, claim, out bool skip) is { } ended)
            {
                return ended;
            }

            if (skip)
            {
                exempt.Add(member);
            }
        }

        foreach (var member in changed)
        {
            if (!exempt.Contains(member) && Claim(member) is { } claim)
            {
                foreach (var item in claim.Items)
                {
                    if (LockAgreementChecker.CheckItem(locks, SimCluster.PartyPath, claim, item) is { } problem)
                    {
                        if (!cluster.IsOperatorStale(member, item))
                        {
                            return problem;
                        }

                        cluster.OperatorLockExemptions++;
                    }
                }
            }
        }

        // In ordinal order, so that of two disagreements in one step the same one is reported in every process.
        folders.Clear();
        folders.AddRange(changedFolders);
        folders.Sort(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (folder.StartsWith(locksPrefix, StringComparison.Ordinal)
                && ownerOf.TryGetValue(folder[locksPrefix.Length..], out var owner)
                && !exempt.Contains(owner)
                && Claim(owner) is { } claim
                && LockAgreementChecker.CheckItem(locks, SimCluster.PartyPath, claim, folder[locksPrefix.Length..]) is { } problem)
            {
                if (!cluster.IsOperatorStale(owner, folder[locksPrefix.Length..]))
                {
                    return problem;
                }

                cluster.OperatorLockExemptions++;
            }
        }

        changedFolders.Clear();
        return null;
    }

    private bool KilledByOperator(SimulatedMember m) =>
        m.Session is { } session && SingleOwnerChecker.KilledByOperator(cluster.Server, session.SessionId);

    private static LockClaim? Claim(SimulatedMember m) =>
        m.LastChecked.Count > 0 && m.Session is { } session && m.ContenderPrefix is { } prefix
            ? new LockClaim(m.Name, session.SessionId, prefix, m.LastChecked, session.State == ClientState.Connected)
            : null;

    /// <summary>What of a member the checks depend on; when none of it moved, neither did its owned items.</summary>
    private readonly record struct Seen(bool Present, object? Partitioner, long StateId, int OwnedCount, bool Acquired, long SessionId, ClientState? SessionState, string? Prefix, bool Killed)
    {
        public static Seen Of(SimulatedMember m, InMemoryZooKeeper server)
        {
            // Items owned means Acquired at this same instant, so the partitioner's claim (a clock read under a
            // lock) is worked out a second time only for a member that owns nothing.
            int ownedCount = m.Owned.Count;
            var partitioner = m.Partitioner;
            var session = m.Session;
            return new(
                m.Present,
                partitioner,
                partitioner?.StateId ?? -1,
                ownedCount,
                ownedCount > 0 || (partitioner?.Acquired ?? false),
                session?.SessionId ?? 0,
                session?.State,
                m.ContenderPrefix,
                session is not null && SingleOwnerChecker.KilledByOperator(server, session.SessionId));
        }
    }
}
