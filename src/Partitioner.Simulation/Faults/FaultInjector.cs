// The fault model.
//
// Faults act on the simulated world only through the means a real deployment has: the network (a
// connection reset, a member cut off, a follower cut from its leader), the servers (a restart, an
// operator's kill of a session) and the member processes (a crash, a pause, a slow consumer, joining and
// leaving). They never reach into the shell or Core. Every fault is recoverable by design: a cut heals, a
// paused process resumes, a restarted ensemble comes back with its sessions and nodes, and a crashed process
// is replaced by a new one with the same identifier after the fault's duration. So once the fault phase is
// over, the party must converge again (the liveness check).
//
// The ensemble. A scenario has one server (standalone) or several (servers=3 in half the generated runs):
// a leader, which holds the tree and the session table, and followers (Network/Follower.cs). Each client
// connection goes to one server, drawn per connect attempt. A follower answers its clients' pings itself;
// it sends connects, writes, syncs and reads through its own link to the leader, and passes the leader's
// answers, notifications and session closes back after the link's latency and its own apply lag (up to twice
// the largest latency), so each follower has its own, later view. It relays its clients' touches to the
// leader in its answers to the leader's pings, every tickTime / 2 (tickTime is 500 ms); the leader refuses a
// request that comes through a server the session has since left (ZooKeeper's SessionMoved). One
// simplification, on the gentle side only for reads: a cut follower holds its clients' reads with their
// writes instead of answering them from a stale copy of the tree (the model keeps one tree); pings are
// answered as a real follower answers them, held only behind the session's own writes and syncs.
//
// Expiry is the leader's and realistic: a session expires when the leader has heard nothing of it for its
// timeout (directly, or through a follower's relayed touches), and a reconnect to a live session renews it.
// The only expiry outside that rule is an operator's kill (SessionExpiry), kept as a distinct fault because
// no member can know of it in time: the claim checks leave that session to fencing.
//
// - ConnectionLoss: the member's TCP connection resets. Its client fails pending requests with
//   ConnectionLoss, reports Suspended and reconnects with the same session (Reconnected).
// - ShortPartition: the member is cut off for less than the session timeout. Traffic is held, not lost
//   (TCP retransmits). Past 2/3 of the timeout the client gives up on the connection and reports
//   Suspended; when the cut heals it reconnects to the same session.
// - LongPartition: the member is cut off for longer than the session timeout; the leader expires the
//   session (its ephemeral nodes go) and the client learns it is Expired when it reconnects.
// - FollowerCut: the follower the member is connected to (or, when it is on the leader, a follower picked by
//   the fault's index) is cut from the leader for half to three session timeouts. The follower keeps
//   answering its clients' pings; their writes and syncs, and the pings behind them, wait on its link; the
//   leader hears nothing of their sessions and expires them after the timeout; after syncLimit (10) ticks
//   without the leader the follower closes its clients' connections and refuses new ones until the cut
//   heals. Held traffic goes through if the cut heals first. This is the case issue 8 measured on real
//   servers: only answers the leader must have given (syncs, writes, accepted connects) show a member
//   that its session is alive.
// - SessionExpiry: an operator (or a tool, as kazoo's test harness does) kills the member's session on the
//   leader by decree, at any moment, even a few milliseconds before the member is paused. Its ephemeral
//   nodes go at once; its client reads the close when it reaches it (through its follower, if any). No
//   member can know of such a kill in time, so the single-owner and lock-agreement checks do not count the
//   killed session's claims: that is what fencing tokens are for, and the fenced-store check still holds.
// - ServerRestart: the whole ensemble stops for the duration; every connection closes; sessions and nodes
//   survive and every live session gets a full timeout again when it is back, as ZooKeeper does.
// - Crash: the member's process dies at once; its session lives until the leader expires it. A new
//   process (next generation, same identifier, new session) starts after the duration.
// - Pause: the member's process stops (a long GC, a stopped VM): nothing of it runs, its timers and
//   input wait, and when it resumes its clock has jumped; its client checks the read timeout first. A
//   pause that falls within another ends when the later of the two ends.
// - SlowConsumer: the member's consumer takes up to the duration to stop work and release.
// - Join / Leave: a new member joins (up to the member limit); a member finishes and leaves for good
//   (never the last one present).
// - RequestsHeld / RepliesHeld: a one-way cut for the duration. With requests held, the server hears
//   nothing (the session may expire) while the server's replies and notifications still arrive; with
//   replies held, the server hears every request and ping (the session stays alive) while the client
//   hears nothing and gives up on the connection. Held traffic flows again when the cut heals.
// - BorderlinePartition / BorderlinePause: a cut or a pause of 0.9 to 1.2 times the session timeout,
//   where the server's expiry races the client's reconnect (or the resumed process's first request).
// - LateTimers: for the duration, every timer set on the member's clock (the shell's and the
//   consumer's) fires late by a random amount up to half the duration, as on a starved thread pool.
//   The client's own ping and read timers keep time (they run on the client's threads).
// - OperatorDeletesLock: an operator deletes the lowest contender node of an item of the member (one it
//   holds, if it holds any). The node's creator holds the lock at that instant and cannot know of the
//   deletion in time (nothing watches a held lock), and the next contender acquires: an overlap is
//   recorded apart (SimulationResult.OperatorOverlaps), not reported as a violation, and lock agreement
//   is not asked of that claim, for as long as the creator's session has no other node in that folder.
// - OperatorDeletesPartyNode: an operator deletes the member's party node. The member can see that (it
//   watches the party), so no exemption applies: single owner must hold and the party must converge.
// - TransientReplies: the leader answers requests with the codes that mean "not now": ThrottledOp and
//   SessionMoved (the request was not carried out), OperationTimeout (carried out or not, half and half,
//   for a write: its outcome is unknown), and, inside a multiRead, one of these or ConnectionLoss for one
//   read alone. Every C# member meets them at the scenario's rate (transients=, parts per thousand of
//   requests) for the whole fault phase, so the retry paths run under every other fault; a TransientReplies
//   fault raises one member's rate to 30 % for its duration, which drives the retry back-off to its
//   longest. The connection stays up; each injected answer is a line of the timeline. The kazoo-like
//   members never get them (their handling would be kazoo's, not the code under test's).
//
// The world also has, per scenario, a frame limit (a reply above it fails its request alone with
// MarshallingError and the connection stays up, as the real client does), stale lock folders left under P/locks before the run, and clock-rate drift of
// every member and the server (within the scenario's drift, drawn from the seed).
//
// Kazoo-like members (kazoo=K, besides the C# members; named k0, k1, ...; Kazoo/KazooPartitioner.cs) behave as
// kazoo's SetPartitioner does on the wire: a party node <uuid hex>-<ID> holding the identifier; for each item a
// new Lock with its own <uuid hex>__lock__ prefix, ephemeral sequential nodes with no data, one item at a time,
// each acquire waiting at most the max reaction time and deleting its node on a timeout; kazoo's four states, any
// connection change meaning RELEASE, a party change meaning a stop-the-world rebalance, locks kept in RELEASE
// until release_set; a client that fires and forgets its watches on a disconnect. Their known weaknesses are
// modelled too: an acquire that returns False is counted as held; a contender whose cleanup delete fails while
// disconnected is left behind (kazoo #732) and blocks its item for as long as the session lives; an allocation
// that finds its own identifier missing from the party dies (ValueError) and leaves the member ALLOCATING; two
// allocations can run at once. They get no transient replies and write nothing to the fenced store (no token).
// What the checks claim for them: while a kazoo member's session is alive on the leader, its ACQUIRED share
// counts for single owner exactly as a C# member's does (so no C# member owns an item a kazoo member holds, and
// the other way round), and lock agreement asks it to hold the lowest contender of each item with that item's
// lock prefix. Once the leader has ended its session, kazoo cannot know in time (it has no deadline of its own
// and no fencing: a paused process, a follower cut from the leader), so its claims are not checked; an item
// taken meanwhile is counted apart (KazooOverlaps). Items it claims without holding their lock are left out of
// its claims: an ignored False return (a timeline line names them), or a lock whose release another of its
// allocations has begun (two allocations share kazoo's list of locks, and one's abort releases the other's; the
// server may carry out the delete before the client reads the reply). Liveness waits for every kazoo member except
// one whose allocation died; a run that cannot converge because a live kazoo session's node, which it does not own
// the item by, is the lowest contender of an item (a #732 leak, or a lock taken after its release_set) is excused
// and says so, as is one that converges only once the items a kazoo member works on with no lock count as its own,
// and one whose only members left are kazoo members whose allocation died (nobody is left who could own the items).
//
// Faults name their target by index among the members present when they fire, modulo their number,
// so any fault list is valid for any party, and shrinking never breaks a scenario.
using System.Globalization;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Running;

namespace Partitioner.Simulation.Faults;

/// <summary>Schedules a scenario's faults and applies each when it falls due; see the fault model above.</summary>
internal sealed class FaultInjector
{
    private readonly SimCluster _cluster;

    public FaultInjector(SimCluster cluster) => _cluster = cluster;

    /// <summary>When the last fault's effect ends (a cut heals, a process resumes or restarts, the server is back).</summary>
    public TimeSpan QuietAt { get; private set; }

    /// <summary>Schedules every fault of the scenario.</summary>
    public void ScheduleAll()
    {
        foreach (var fault in _cluster.Scenario.Faults.OrderBy(f => f.At))
        {
            var end = fault.At + (fault.Kind == FaultKind.SlowConsumer ? TimeSpan.Zero : fault.Duration);
            QuietAt = end > QuietAt ? end : QuietAt;
            _cluster.Scheduler.ScheduleAt(fault.At.Ticks, () => Apply(fault));
        }
    }

    private void Apply(FaultEvent fault)
    {
        if (fault.Kind == FaultKind.ServerRestart)
        {
            RestartServer(fault.Duration);
            return;
        }

        if (fault.Kind == FaultKind.Join)
        {
            Join(fault.Member);
            return;
        }

        var present = _cluster.Present.ToArray();
        if (present.Length == 0)
        {
            return;
        }

        var member = present[fault.Member % present.Length];
        ApplyTo(member, fault, present.Length);
    }

    private void ApplyTo(SimMember member, FaultEvent fault, int presentCount)
    {
        var d = fault.Duration;
        switch (fault.Kind)
        {
            case FaultKind.ConnectionLoss:
                Note($"connection of {member.Name} reset");
                member.Session?.ResetConnection();
                break;
            case FaultKind.ShortPartition:
            case FaultKind.LongPartition:
            case FaultKind.BorderlinePartition:
                Note($"{member.Name} cut off for {Seconds(d)} (session timeout {Seconds(_cluster.Scenario.SessionTimeout)})");
                _cluster.Network.Isolate(member.Process.Name);
                _cluster.Scheduler.Schedule(d, () => Heal(member));
                break;
            case FaultKind.SessionExpiry:
                if (member.Session is { SessionId: not 0 } session && _cluster.Server.Session(session.SessionId) is { Alive: true })
                {
                    Note($"an operator kills the session of {member.Name} on the leader");
                    _cluster.Server.ExpireSession(session.SessionId, forced: true);
                }

                break;
            case FaultKind.FollowerCut:
                CutFollower(member, d, fault.Member);
                break;
            case FaultKind.Crash:
                Note($"{member.Name} crashes; a new process starts in {Seconds(d)}");
                member.Crash();
                _cluster.Scheduler.Schedule(d, () => Restart(member));
                break;
            case FaultKind.Pause:
            case FaultKind.BorderlinePause:
                // A pause that falls in another ends when the later of the two ends, not at the first's end.
                var resumeAt = member.Process.PauseUntil(_cluster.Scheduler.NowTicks + d.Ticks);
                Note($"{member.Name} paused for {Seconds(d)}");
                _cluster.Scheduler.ScheduleAt(resumeAt, () => Resume(member));
                break;
            case FaultKind.SlowConsumer:
                Note($"{member.Name}'s consumer now takes up to {Seconds(d)} to release");
                member.ReleaseDelayMax = d;
                break;
            case FaultKind.Leave when presentCount > 1:
                Note($"{member.Name} finishes and leaves");
                member.Leave();
                break;
            case FaultKind.RequestsHeld:
            case FaultKind.RepliesHeld:
                bool toServer = fault.Kind == FaultKind.RequestsHeld;
                Note($"{member.Name}'s {(toServer ? "requests" : "replies")} held for {Seconds(d)} (one way; session timeout {Seconds(_cluster.Scenario.SessionTimeout)})");
                _cluster.Network.HoldOneWay(member.Process.Name, toServer);
                _cluster.Scheduler.Schedule(d, () =>
                {
                    Note($"{member.Name}'s {(toServer ? "requests" : "replies")} flow again");
                    _cluster.Network.HealOneWay(member.Process.Name, toServer);
                });
                break;
            case FaultKind.LateTimers:
                LateTimers(member, d);
                break;
            case FaultKind.OperatorDeletesLock:
                DeleteLock(member);
                break;
            case FaultKind.OperatorDeletesPartyNode:
                DeletePartyNode(member);
                break;
            case FaultKind.TransientReplies when !member.IsKazoo:
                Note($"the leader answers {TransientReplies.BurstPermille / 10} % of {member.Name}'s requests with transient codes for {Seconds(d)}");
                _cluster.Transients.Burst(member.Name, _cluster.Scheduler.Now + d);
                break;
        }
    }

    private void LateTimers(SimMember member, TimeSpan window)
    {
        var until = _cluster.Scheduler.Now + window;
        var latenessMax = window / 2;
        var random = _cluster.Random.Fork();
        Note($"{member.Name}'s timers fire late by up to {Seconds(latenessMax)} for {Seconds(window)}");
        member.Clock.Lateness = () => _cluster.Scheduler.Now < until ? random.Between(TimeSpan.Zero, latenessMax) : TimeSpan.Zero;
    }

    private void DeleteLock(SimMember member)
    {
        if (!_cluster.Server.Up || _cluster.Items.Length == 0)
        {
            return;
        }

        var owned = member.Owned;
        var item = owned.Count > 0 ? owned[_cluster.Random.Next(owned.Count)] : _cluster.Items[_cluster.Random.Next(_cluster.Items.Length)];
        var folder = _cluster.Server.Find($"{SimCluster.PartyPath}/locks/{item}");
        var lowest = folder?.ChildNames
            .Where(n => LockAgreementChecker.SequenceOf(n) is not null)
            .OrderBy(n => LockAgreementChecker.SequenceOf(n))
            .FirstOrDefault();
        if (folder is null || lowest is null)
        {
            Note($"an operator finds no lock node of item '{item}' to delete");
            return;
        }

        var node = folder.Child(lowest)!;
        var creator = _cluster.Members.FirstOrDefault(m => m.Session?.SessionId == node.EphemeralOwner);
        Note($"an operator deletes {node.Path}{(creator is null ? "" : $", the lock of {creator.Name}")}");
        _cluster.Server.OperatorDelete(node.Path);
        if (creator is not null)
        {
            _cluster.OperatorHits.Add(new OperatorHit(creator, node.EphemeralOwner, item, _cluster.Scheduler.Now));
        }
    }

    private void DeletePartyNode(SimMember member)
    {
        var party = _cluster.Server.Find($"{SimCluster.PartyPath}/party");
        var session = member.Session?.SessionId;
        var name = party?.ChildNames.FirstOrDefault(n => party.Child(n)!.EphemeralOwner == session);
        if (!_cluster.Server.Up || name is null)
        {
            Note($"an operator finds no party node of {member.Name} to delete");
            return;
        }

        Note($"an operator deletes the party node {name} of {member.Name}");
        _cluster.Server.OperatorDelete($"{SimCluster.PartyPath}/party/{name}");
    }

    private void RestartServer(TimeSpan downtime)
    {
        if (!_cluster.Server.Up)
        {
            return;
        }

        Note($"server restarts, down for {Seconds(downtime)}");
        _cluster.Server.GoDown();
        _cluster.Network.RestartFollowers();
        _cluster.Scheduler.Schedule(downtime, () =>
        {
            Note("server is back");
            _cluster.Server.ComeUp();
        });
    }

    private void Join(int index)
    {
        if (_cluster.Present.Count() >= Scenario.MembersMax)
        {
            return;
        }

        // In a party with kazoo members, a join with an odd index brings another kazoo member.
        var joined = _cluster.StartMember(kazoo: _cluster.Scenario.KazooMembers > 0 && index % 2 == 1);
        Note($"{joined.Name} joins");
    }

    private void Heal(SimMember member)
    {
        Note($"{member.Name} reconnected to the network");
        _cluster.Network.Heal(member.Process.Name);
    }

    private void CutFollower(SimMember member, TimeSpan d, int index)
    {
        var followers = _cluster.Network.Followers;
        if (followers.Count == 0)
        {
            return;
        }

        // The member's own follower when it has one, so that the cut meets a member; else one by its index.
        var follower = member.Session?.Follower ?? followers[index % followers.Count];
        if (follower.Cut)
        {
            return;
        }

        Note($"follower {follower.Id} cut from the leader for {Seconds(d)} (session timeout {Seconds(_cluster.Scenario.SessionTimeout)}; {member.Name} {(ReferenceEquals(member.Session?.Follower, follower) ? "is" : "is not")} on it)");
        follower.CutFromLeader();
        _cluster.Scheduler.Schedule(d, () =>
        {
            Note($"follower {follower.Id} reaches the leader again");
            follower.Heal();
        });
    }

    private void Resume(SimMember member)
    {
        if (member.Process.Crashed || !member.Process.Paused || _cluster.Scheduler.NowTicks < member.Process.PausedUntilTicks)
        {
            return;
        }

        Note($"{member.Name} resumes");
        _cluster.Scheduler.RunNow(member.Process.Resume, member.Process);
    }

    private void Restart(SimMember crashed)
    {
        if (_cluster.Members.Any(m => m.Slot == crashed.Slot && m.Generation > crashed.Generation))
        {
            return;
        }

        var restarted = _cluster.StartMember(crashed.Slot, crashed.Generation + 1, crashed.IsKazoo);
        Note($"{restarted.Name} starts (replacing {crashed.Name})");
    }

    private void Note(string line) => _cluster.Trace.Timeline("fault: " + line);

    private static string Seconds(TimeSpan d) => string.Create(CultureInfo.InvariantCulture, $"{d.TotalSeconds:0.###}s");
}
