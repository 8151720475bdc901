using Partitioner.Simulation.Model;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Running;
using Partitioner.ZooKeeper;
using Partitioner.Core;

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
    private readonly SimCluster _cluster;
    private readonly string _locksPrefix = SimCluster.PartyPath + "/locks/";
    private readonly Dictionary<string, SimMember> _ownerOf = new(StringComparer.Ordinal);
    // What the last step saw of each member, by its index in the cluster's members (which only grow), and
    // until when each member's claim is known to hold without asking its partitioner again.
    private readonly List<Seen> _seen = new();
    private readonly List<Held?> _held = new();
    private readonly HashSet<string> _changedFolders = new(StringComparer.Ordinal);
    private readonly List<SimMember> _changed = new();
    private readonly HashSet<SimMember> _exempt = new();
    private readonly List<string> _folders = new();

    public StepChecker(SimCluster cluster)
    {
        _cluster = cluster;
        cluster.Server.ChangedParents = _changedFolders;
    }

    /// <summary>True when something the checks or the convergence test read has moved since the last call.</summary>
    public bool Moved { get; private set; }

    /// <summary>Runs the checks for what moved in the last step; returns the first violation found.</summary>
    public Violation? Check()
    {
        Moved = _changedFolders.Count > 0;

        _changed.Clear();
        var members = _cluster.Members;
        for (int i = 0; i < members.Count; i++)
        {
            var member = members[i];
            var now = Observe(i, member);
            if (i == _seen.Count)
            {
                _changed.Add(member);
                _seen.Add(now);
            }
            else if (_seen[i] != now)
            {
                _changed.Add(member);
                _seen[i] = now;
            }
        }

        Moved |= _changed.Count > 0;
        if (!Moved)
        {
            return null;
        }

        var time = _cluster.Scheduler.Now;
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
        foreach (var member in _changed)
        {
            foreach (var item in member.LastChecked)
            {
                if (_ownerOf.TryGetValue(item, out var owner) && ReferenceEquals(owner, member))
                {
                    _ownerOf.Remove(item);
                }
            }
        }

        foreach (var member in _changed)
        {
            // A session an operator killed owns nothing as far as the checks go: left to fencing (see SingleOwnerChecker).
            // Nor does a kazoo member's session the server has ended: kazoo has no deadline of its own (see KazooMember).
            var owned = Unchecked(member) ? Array.Empty<string>() : member.Owned;
            member.LastChecked = owned;
            foreach (var item in owned)
            {
                if (_ownerOf.TryAdd(item, member))
                {
                    CountKazooOverlap(member, item);
                    continue;
                }

                var other = _ownerOf[item];
                bool otherStale = _cluster.IsOperatorStale(other, item);
                if (!otherStale && !_cluster.IsOperatorStale(member, item))
                {
                    return $"item '{item}' is owned by both {other.Name} and {member.Name}";
                }

                // An operator deleted the lock under one of them: no member could know in time. Recorded
                // apart, and the map keeps the owner whose grant is real.
                _cluster.OperatorOverlaps++;
                _cluster.Trace.Timeline($"operator overlap: item '{item}' owned by both {other.Name} and {member.Name} after an operator deleted a lock node");
                if (otherStale)
                {
                    _ownerOf[item] = member;
                }
            }
        }

        return null;
    }

    private string? CheckLocks()
    {
        var server = _cluster.Server;
        var locks = server.Find(SimCluster.PartyPath + "/locks");

        // The session part is cheap and can change without a write (a client reading a close): every claim, every step.
        _exempt.Clear();
        foreach (var member in _cluster.Members)
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
                _exempt.Add(member);
            }
        }

        foreach (var member in _changed)
        {
            if (!_exempt.Contains(member) && Claim(member) is { } claim)
            {
                foreach (var item in claim.Items)
                {
                    if (LockAgreementChecker.CheckItem(locks, SimCluster.PartyPath, claim, item) is { } problem)
                    {
                        if (!_cluster.IsOperatorStale(member, item))
                        {
                            return problem;
                        }

                        _cluster.OperatorLockExemptions++;
                    }
                }
            }
        }

        // In ordinal order, so that of two disagreements in one step the same one is reported in every process.
        _folders.Clear();
        _folders.AddRange(_changedFolders);
        _folders.Sort(StringComparer.Ordinal);
        foreach (var folder in _folders)
        {
            if (folder.StartsWith(_locksPrefix, StringComparison.Ordinal)
                && _ownerOf.TryGetValue(folder[_locksPrefix.Length..], out var owner)
                && !_exempt.Contains(owner)
                && Claim(owner) is { } claim
                && LockAgreementChecker.CheckItem(locks, SimCluster.PartyPath, claim, folder[_locksPrefix.Length..]) is { } problem)
            {
                if (!_cluster.IsOperatorStale(owner, folder[_locksPrefix.Length..]))
                {
                    return problem;
                }

                _cluster.OperatorLockExemptions++;
            }
        }

        _changedFolders.Clear();
        return null;
    }

    private bool Unchecked(SimMember m) => Unchecked(m, _cluster.Server);

    /// <summary>
    /// True when the member's claims are left out of the checks: an operator killed its session by decree, or it is a
    /// kazoo member whose session the server has ended (kazoo keeps ACQUIRED until its client hears of that).
    /// </summary>
    private static bool Unchecked(SimMember m, InMemoryZooKeeper server) =>
        m.Session is { } session
        && (SingleOwnerChecker.KilledByOperator(server, session.SessionId) || (m.IsKazoo && server.Session(session.SessionId) is not { Alive: true }));

    /// <summary>A member took an item that a kazoo member, unchecked since the server ended its session, still claims: counted apart.</summary>
    private void CountKazooOverlap(SimMember member, string item)
    {
        if (!_cluster.KazooStarted)
        {
            return;
        }

        foreach (var other in _cluster.Members)
        {
            if (other.IsKazoo && !ReferenceEquals(other, member) && other.Present && Unchecked(other) && other.Owned.Contains(item))
            {
                _cluster.KazooOverlaps++;
                _cluster.Trace.Timeline($"kazoo overlap: item '{item}' owned by {member.Name} while {other.Name} (kazoo) still claims it on a session the server has ended");
                return;
            }
        }
    }

    private static LockClaim? Claim(SimMember m)
    {
        if (m.LastChecked.Count == 0 || m.Session is not { } session)
        {
            return null;
        }

        // A C# member has one prefix for all its locks; a kazoo member one per lock.
        if (m.IsKazoo)
        {
            return new LockClaim(m.Name, session.SessionId, string.Empty, m.LastChecked, session.State == ClientState.Connected, m.PrefixFor);
        }

        return m.PrefixFor(string.Empty) is { } prefix
            ? new LockClaim(m.Name, session.SessionId, prefix, m.LastChecked, session.State == ClientState.Connected)
            : null;
    }

    /// <summary>
    /// What the checks depend on of member <paramref name="index"/>, <paramref name="member"/>. Its owned items are what its
    /// partitioner reports (<see cref="SimulatedMember.Owned"/>), read again only when they may have changed: an
    /// Acquired partitioner owns its items while its claim lasts (<c>ClaimRemaining</c>, a clock read under a lock),
    /// and the claim only grows with a confirmation and shrinks with its clock, so a claim with R left is sure to
    /// hold for R/2 of true time under any clock rate the model allows (under ±50 %), unless the partitioner, its
    /// state, its session's state or the process changes, which is read every step. Polling every member's claim every step cost most
    /// of a large party's run. <see cref="SimulationOptions.VerifyHeldClaims"/> checks this against a read every step.
    /// </summary>
    private Seen Observe(int index, SimMember member)
    {
        if (member is not SimulatedMember m)
        {
            // A kazoo member's state is plain fields, read every step.
            if (index == _held.Count)
            {
                _held.Add(null);
            }

            int count = member.Owned.Count;
            return new(member.Present, member.PartitionerObject, member.StateId, count, count > 0 || member.IsAcquired, member.Session?.SessionId ?? 0,
                member.Session?.State, member.PrefixVersion, Unchecked(member), member.NotAwaited, Decided: null);
        }

        var partitioner = m.Partitioner;
        var session = m.Session;
        long stateId = partitioner?.StateId ?? -1;
        long nowTicks = _cluster.Scheduler.NowTicks;
        bool crashed = m.Process.Crashed;
        var known = index < _held.Count ? _held[index] : null;
        int ownedCount;
        bool acquired;
        if (known is { } h && nowTicks < h.UntilTicks && !crashed && partitioner is not null && ReferenceEquals(h.Partitioner, partitioner)
            && h.StateId == stateId && partitioner.State == PartitionState.Acquired && ReferenceEquals(h.Session, session) && h.SessionState == session?.State
            && ReferenceEquals(h.Decided, partitioner.Decided))
        {
            (ownedCount, acquired) = (h.OwnedCount, true);
            if (_cluster.Options.VerifyHeldClaims && (m.Owned.Count != ownedCount || !partitioner.Acquired))
            {
                throw new InvalidOperationException(
                    $"{m.Name}'s claim was taken to hold until {h.UntilTicks} ticks, but at {nowTicks} its partitioner reports {m.Owned.Count} items, Acquired {partitioner.Acquired}");
            }
        }
        else
        {
            // Items owned means Acquired at this same instant, so the claim is worked out a second time only for
            // a member that owns nothing.
            ownedCount = m.Owned.Count;
            acquired = ownedCount > 0 || (partitioner?.Acquired ?? false);
            known = null;
            if (acquired && !crashed && partitioner is not null && partitioner.ClaimRemaining.Ticks / 2 is var half and >= 2)
            {
                known = new Held(partitioner, stateId, session, session?.State, nowTicks + half, ownedCount, partitioner.Decided);
            }
        }

        if (index == _held.Count)
        {
            _held.Add(known);
        }
        else
        {
            _held[index] = known;
        }

        return new(
            m.Present,
            partitioner,
            stateId,
            ownedCount,
            acquired,
            session?.SessionId ?? 0,
            session?.State,
            m.ContenderPrefix,
            session is not null && SingleOwnerChecker.KilledByOperator(_cluster.Server, session.SessionId),
            NotAwaited: false,
            partitioner?.Decided);
    }

    /// <summary>
    /// What of a member the checks depend on; when none of it moved, neither did its owned items. A cooperative
    /// member's items change inside one state (an item given up or taken in a hand-off), so Core's decided state itself
    /// is part of it (a new object after every decision), not the shell's reports of the change, which are under test.
    /// </summary>
    private readonly record struct Seen(
        bool Present, object? Partitioner, long StateId, int OwnedCount, bool Acquired, long SessionId, ClientState? SessionState, object? Prefix, bool Exempt, bool NotAwaited,
        object? Decided);

    /// <summary>A partitioner in one decided state, on a session in one state, whose claim holds, with its owned count, before <see cref="UntilTicks"/>.</summary>
    private sealed record Held(
        SetPartitioner Partitioner, long StateId, SimulatedClientPort? Session, ClientState? SessionState, long UntilTicks, int OwnedCount, Partitioner.Core.MemberState Decided);
}
