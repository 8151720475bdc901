using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Faults;

namespace Partitioner.Simulation.Running;

/// <summary>
/// Runs one scenario: the members start, the faults fire during the fault phase, and the run goes on
/// until the party has converged after the last fault (then settles a moment, still checked) or the
/// liveness bound has passed. Single owner and lock agreement are checked after every scheduler step.
/// </summary>
public static class Simulator
{
    /// <summary>Runs <paramref name="scenario"/>; the same scenario and options always give the same result.</summary>
    /// <exception cref="ArgumentException">The scenario has a bad value; the message names it.</exception>
    public static SimulationResult Run(Scenario scenario, SimulationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        scenario.Validate();
        var previous = SynchronizationContext.Current;
        try
        {
            return new SimulationRun(scenario, options ?? new SimulationOptions()).Execute();
        }
        finally
        {
            SynchronizationContext.SetSynchronizationContext(previous);
        }
    }

    /// <summary>The knobs of a scenario, one per line, for the start of a report.</summary>
    public static IEnumerable<string> DescribeKnobs(Scenario s)
    {
        yield return $"seed              {s.Seed}";
        yield return s.KazooMembers == 0
            ? $"members, items    {s.Members}, {s.Items}"
            : $"members, items    {s.Members} C# and {s.KazooMembers} kazoo-like, {s.Items}";
        yield return $"session timeout   {s.SessionTimeout.TotalMilliseconds} ms";
        yield return $"time boundary     {s.TimeBoundary.TotalMilliseconds} ms";
        yield return $"max reaction time {s.MaxReactionTime.TotalMilliseconds} ms";
        yield return $"latency           {(s.LatencyMax / 10).TotalMilliseconds}-{s.LatencyMax.TotalMilliseconds} ms one way";
        yield return $"release delay     up to {s.ReleaseDelayMax.TotalMilliseconds} ms (slow consumers: up to {s.ReleaseDelayWorst.TotalMilliseconds} ms)";
        yield return $"watches           {s.WatchMode} across reconnects";
        yield return s.Servers == 1 ? "servers           1 (standalone)" : $"servers           {s.Servers} (a leader and {s.Servers - 1} followers, tickTime 500 ms, syncLimit {Network.Follower.SyncLimit})";
        yield return $"fault phase       {s.FaultPhase.TotalSeconds} s, {s.Faults.Length} faults";
        yield return s.TransientPermille == 0
            ? "transient replies none (outside TransientReplies faults)"
            : $"transient replies {s.TransientPermille} per 1,000 requests during the fault phase";
        if (s.Rebalance != PartyRebalance.Eager)
        {
            yield return s.Rebalance == PartyRebalance.Cooperative
                ? "rebalance         cooperative (every member; the sticky function)"
                : "rebalance         mixed (even slots cooperative with the sticky function, the others and kazoo members eager)";
        }

        yield return $"liveness bound    {s.LivenessBound.TotalSeconds} s after the last fault ends";
    }

    private sealed class SimulationRun
    {
        private readonly SimCluster _cluster;
        private readonly FaultInjector _faults;
        private readonly StepChecker _checks;
        private TimeSpan? _convergedAt;
        private string? _kazooExcuse;
        private bool _lookedAfterQuiet;

        public SimulationRun(Scenario scenario, SimulationOptions options)
        {
            _cluster = new SimCluster(scenario, options);
            _cluster.Trace.UseClock(() => _cluster.Scheduler.Now);
            if (options.KeepDetailLines)
            {
                _cluster.Trace.KeepDetail();
            }
            _faults = new FaultInjector(_cluster);
            _checks = new StepChecker(_cluster);
        }

        public SimulationResult Execute()
        {
            var scenario = _cluster.Scenario;
            _faults.ScheduleAll();
            for (int i = 0; i < scenario.Members; i++)
            {
                _cluster.Scheduler.Schedule(TimeSpan.Zero, () => _cluster.StartMember());
            }

            for (int i = 0; i < scenario.KazooMembers; i++)
            {
                _cluster.Scheduler.Schedule(TimeSpan.Zero, () => _cluster.StartMember(kazoo: true));
            }

            var quiet = _faults.QuietAt > scenario.FaultPhase ? _faults.QuietAt : scenario.FaultPhase;
            var deadline = quiet + scenario.LivenessBound;
            var violation = Loop(quiet, deadline);
            return Result(violation, quiet);
        }

        private Violation? Loop(TimeSpan quiet, TimeSpan deadline)
        {
            var scheduler = _cluster.Scheduler;
            var until = deadline;
            while (true)
            {
                bool stepped;
                try
                {
                    stepped = scheduler.Step(until.Ticks);
                }
                catch (Exception exception)
                {
                    return new Violation(ViolationKind.Crash, scheduler.Now, exception.ToString());
                }

                if (scheduler.ForeignThreadError is { } foreign)
                {
                    return new Violation(ViolationKind.Crash, scheduler.Now, "the code under test left the simulation's thread: " + foreign);
                }

                if (scheduler.StepsRun > _cluster.Options.StepsMax)
                {
                    return new Violation(ViolationKind.Crash, scheduler.Now, $"more than {_cluster.Options.StepsMax} steps: a runaway loop");
                }

                if ((_checks.Check() ?? _cluster.Store.Violation ?? _cluster.HandOffs?.Violation) is { } found)
                {
                    return found;
                }

                // Convergence can only have changed when something the checks read moved (or at the first step past quiet).
                if (_convergedAt is null && scheduler.Now >= quiet && (_checks.Moved || !_lookedAfterQuiet))
                {
                    _lookedAfterQuiet = true;
                    if (Unconverged() is null)
                    {
                        _convergedAt = scheduler.Now;
                        _cluster.Trace.Timeline("converged: every present member is Acquired and the set is covered once");
                        until = scheduler.Now + _cluster.Options.SettleAfterConvergence;
                    }
                }

                if (!stepped)
                {
                    if (_convergedAt is null && (KazooBlock() ?? KazooLocklessClaims() ?? KazooAllocationsDead()) is { } blocked)
                    {
                        _kazooExcuse = blocked;
                        _cluster.Trace.Timeline($"not converged, excused: {blocked}");
                        return null;
                    }

                    return _convergedAt is null
                        ? new Violation(ViolationKind.Liveness, scheduler.Now,
                            $"not converged {_cluster.Scenario.LivenessBound.TotalSeconds} s after the last fault ended at {quiet.TotalSeconds} s: {Unconverged()}")
                        : null;
                }
            }
        }

        /// <summary>
        /// Why the party cannot converge because of a kazoo member's known weakness: the lowest contender of an item is a
        /// node of a live kazoo session that the kazoo member does not own the item by (a contender its cleanup could not
        /// delete, kazoo #732, or a lock it took after its release_set); null when there is none.
        /// </summary>
        private string? KazooBlock()
        {
            if (!_cluster.KazooStarted || _cluster.Server.Find(SimCluster.PartyPath + "/locks") is not { } locks)
            {
                return null;
            }

            // A kazoo member waiting behind its own leaked node (two of its nodes in one folder) is the cause; report it first.
            return KazooBlock(locks, waitingBehindItself: true) ?? KazooBlock(locks, waitingBehindItself: false);
        }

        private string? KazooBlock(Model.ZNode locks, bool waitingBehindItself)
        {
            foreach (var item in _cluster.Items)
            {
                if (locks.Child(item) is not { } folder)
                {
                    continue;
                }

                string? lowest = null;
                long lowestSequence = long.MaxValue;
                foreach (var name in folder.ChildNames)
                {
                    if (LockAgreementChecker.SequenceOf(name) is { } sequence && sequence < lowestSequence)
                    {
                        (lowest, lowestSequence) = (name, sequence);
                    }
                }

                if (lowest is null)
                {
                    continue;
                }

                long owner = folder.Child(lowest)!.EphemeralOwner;
                var holder = _cluster.Members.FirstOrDefault(m => m.IsKazoo && m.Present && m.Session?.SessionId == owner);
                if (waitingBehindItself && folder.ChildNames.Count(n => folder.Child(n)!.EphemeralOwner == owner) < 2)
                {
                    continue;
                }

                if (holder is not null && !(holder.IsAcquired && holder.Owned.Contains(item)))
                {
                    return $"item '{item}' is held by {lowest}, a node of kazoo member {holder.Name} ({holder.Describe()}) that it does not own the item by";
                }
            }

            return null;
        }

        /// <summary>
        /// Why the party cannot converge because a kazoo member works on items it holds no lock for (an acquire that
        /// returned False, which kazoo ignores, or a lock that another of its allocations released): those items are left
        /// out of its claims, so they count as unowned, while kazoo keeps them until its next state change and no other
        /// member's share has them. Null unless counting exactly those items as the kazoo member's makes the party converge,
        /// so that any other member's gap (a C# member's item uncovered or owned twice, a member not Acquired) still fails.
        /// </summary>
        private string? KazooLocklessClaims()
        {
            if (!_cluster.KazooStarted)
            {
                return null;
            }

            var lockless = _cluster.Present.OfType<KazooMember>().Where(m => !m.NotAwaited && m.Lockless.Count > 0).ToArray();
            if (lockless.Length == 0 || Unconverged(withLockless: true) is not null)
            {
                return null;
            }

            var named = lockless.Select(m => $"{m.Name} [{string.Join(", ", m.Lockless)}]");
            return $"kazoo members work on items they hold no lock for (an acquire's False return ignored, or a lock another of their allocations released), left out of their claims: {string.Join("; ", named)}";
        }

        /// <summary>
        /// Why the party cannot converge when every member still present is a kazoo member whose allocation died of a
        /// ValueError (an operator deleted its party node, and kazoo never writes it again): no member is left that could
        /// own the items, and none of them is a C# member. Null when any present member could still converge, or when no
        /// member is present at all (a run that loses every member fails as before).
        /// </summary>
        private string? KazooAllocationsDead()
        {
            var present = _cluster.Present.ToArray();
            if (!_cluster.KazooStarted || present.Length == 0 || !present.All(m => m is KazooMember && m.NotAwaited))
            {
                return null;
            }

            return $"every present member is a kazoo member whose allocation died (its identifier not in the party) and stays ALLOCATING: {string.Join(", ", present.Select(m => m.Name))}";
        }

        private string? Unconverged(bool withLockless = false)
        {
            // A kazoo member whose allocation died (its identifier missing from the party) waits forever: not awaited.
            var members = _cluster.Present.Where(m => !m.NotAwaited).ToArray();

            // In a mixed party whose members of one mode have all left, the others may have stopped on the mismatch
            // before: nothing is left to converge, as a deployment whose operator took it down.
            if (members.Length == 0 && _cluster.Present.Any(m => m is SimulatedMember { StoppedByMismatch: true }))
            {
                return null;
            }

            // A claim on a lock an operator deleted does not count where another member holds the item for real.
            var ownedElsewhere = _cluster.OperatorHits.Count == 0
                ? null
                : members.SelectMany(m => m.Owned.Where(i => !_cluster.IsOperatorStale(m, i))).ToHashSet(StringComparer.Ordinal);
            var present = members
                .Select(m => ($"{m.Name} ({m.Describe()})", Acquired: m.IsAcquired,
                    WithLockless(m, ownedElsewhere is null ? m.Owned : (IReadOnlyList<string>)m.Owned.Where(i => !_cluster.IsOperatorStale(m, i) || !ownedElsewhere.Contains(i)).ToArray())))
                .ToArray();
            return LivenessChecker.Converged(_cluster.Items, present) ?? Unsettled(members);

            IReadOnlyList<string> WithLockless(SimMember m, IReadOnlyList<string> owned) =>
                withLockless && m is KazooMember { Lockless: { Count: > 0 } extra } ? [.. owned, .. extra] : owned;
        }

        /// <summary>
        /// Cooperative members have settled when each owns exactly its share under the party the server has now: an
        /// exact cover alone can be the old shares, still held while a hand-off waits out the time boundary.
        /// </summary>
        private string? Unsettled(SimMember[] members)
        {
            if (_cluster.HandOffs is not { } handOffs)
            {
                return null;
            }

            // In a mixed party no cooperative member may go on beside an eager or kazoo member: it must have found the
            // mismatch and stopped (and is then not awaited).
            if (_cluster.Scenario.Rebalance == PartyRebalance.Mixed
                && members.FirstOrDefault(m => m is SimulatedMember { Mode: RebalanceMode.Cooperative }) is { } cooperative
                && members.FirstOrDefault(m => m is KazooMember or SimulatedMember { Mode: RebalanceMode.Eager }) is { } eager)
            {
                return $"mixed party not detected: cooperative {cooperative.Name} ({cooperative.Describe()}) goes on beside {eager.Name}, which is {(eager.IsKazoo ? "a kazoo member" : "eager")}";
            }

            foreach (var member in members)
            {
                if (member is SimulatedMember { Mode: RebalanceMode.Cooperative } m && handOffs.Unsettled(m.Slot, m.Owned) is { } unsettled)
                {
                    return "not settled on the function's shares: " + unsettled;
                }
            }

            return null;
        }

        private SimulationResult Result(Violation? violation, TimeSpan quiet)
        {
            if (violation is not null)
            {
                _cluster.Trace.Timeline($"VIOLATION {violation.Kind}: {violation.Message.Split('\n')[0]}");
            }

            var outcome = violation switch
            {
                null => SimulationOutcome.Passed,
                { Kind: ViolationKind.Crash } => SimulationOutcome.Crash,
                { Kind: ViolationKind.Liveness } => SimulationOutcome.LivenessViolation,
                _ => SimulationOutcome.SafetyViolation,
            };
            return new SimulationResult
            {
                Scenario = _cluster.Scenario,
                Outcome = outcome,
                Violation = violation,
                TraceHash = _cluster.Trace.Hash(),
                Timeline = _cluster.Trace.TimelineLines.ToImmutableArray(),
                Steps = _cluster.Scheduler.StepsRun,
                SimulatedTime = _cluster.Scheduler.Now,
                QuietAt = quiet,
                ConvergedAt = _convergedAt,
                OperatorOverlaps = _cluster.OperatorOverlaps,
                StoreWritesAccepted = _cluster.Store.Accepted,
                StoreWritesRefused = _cluster.Store.Refused,
                WorkOverlaps = _cluster.Store.WorkOverlaps,
                WorkOverlapLongest = _cluster.Store.WorkOverlapLongest,
                OperatorLockExemptions = _cluster.OperatorLockExemptions,
                TransientReplies = _cluster.Transients.Injected,
                KazooOverlaps = _cluster.KazooOverlaps,
                KazooLivenessExcuse = _kazooExcuse,
                ItemsAssigned = _cluster.HandOffs?.Assigned ?? 0,
                ItemsRevoked = _cluster.HandOffs?.Revoked ?? 0,
                ItemsLost = _cluster.HandOffs?.Lost ?? 0,
                DetailLines = _cluster.Trace.DetailLines.ToImmutableArray(),
                EventLogs = _cluster.EventLogs.ToImmutableSortedDictionary(kv => kv.Key, kv => kv.Value.ToString(), StringComparer.Ordinal),
            };
        }
    }
}
