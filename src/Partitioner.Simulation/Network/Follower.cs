using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Network;

/// <summary>
/// A follower of the ensemble, between its clients and the leader (the <see cref="InMemoryZooKeeper"/>, which
/// holds the tree and the session table). As a ZooKeeper follower does, it answers its clients' pings itself
/// (after any write or sync of the same session still waiting for the leader, as ZooKeeper's commit
/// processor keeps a session's requests in order); it forwards connects, writes, syncs and reads to the
/// leader over its own link (reads too, so that a read sees what the follower has applied: this model keeps
/// no copy of the tree, see the fault model); the leader's answers, notifications and session closes reach
/// its clients after the link's latency and the follower's apply lag. It records a touch for every packet of
/// a client session and relays its touches in its answer to the leader's ping, every tickTime / 2; that is
/// the only way the leader hears of its clients' sessions.
/// Cut from the leader, its link holds everything (TCP retransmits) and it keeps answering pings; after
/// <see cref="SyncLimit"/> × tickTime without the leader it gives up: it closes its clients' connections and
/// refuses new ones until the cut heals.
/// </summary>
public sealed class Follower
{
    /// <summary>ZooKeeper's syncLimit in the model, in ticks: how long a follower stays without its leader.</summary>
    public const int SyncLimit = 10;

    private readonly SimNetwork _network;
    private readonly Link _up;
    private readonly Link _down;
    private readonly SortedSet<long> _touches = new();
    private readonly List<SimConnection> _clients = new();
    private long _leaderHeardTicks;

    internal Follower(SimNetwork network, int id, TimeSpan applyLag)
    {
        _network = network;
        Id = id;
        ApplyLag = applyLag;
        _up = new Link(this, TimeSpan.Zero);
        _down = new Link(this, applyLag);
        _leaderHeardTicks = network.Scheduler.NowTicks;
        network.Scheduler.Schedule(Tick / 2, PingRound);
    }

    /// <summary>The server id (the leader is 0).</summary>
    public int Id { get; }

    /// <summary>How long after the leader commits something this follower has applied it.</summary>
    public TimeSpan ApplyLag { get; }

    /// <summary>True while cut from the leader.</summary>
    public bool Cut { get; private set; }

    /// <summary>True after the follower gave up on a leader it could not reach, until the cut heals.</summary>
    public bool Looking { get; private set; }

    private TimeSpan Tick => _network.Server.TickTime;

    private InMemoryZooKeeper Leader => _network.Server;

    /// <summary>Cuts the follower from the leader: the link holds everything; clients are still answered pings.</summary>
    public void CutFromLeader() => Cut = true;

    /// <summary>Ends the cut: held traffic flows; a follower that gave up rejoins and takes clients again.</summary>
    public void Heal()
    {
        Cut = false;
        Looking = false;
        _leaderHeardTicks = _network.Scheduler.NowTicks;
        _up.EnsurePump();
        _down.EnsurePump();
    }

    /// <summary>A packet of <paramref name="sessionId"/> arrived here.</summary>
    internal void Touch(long sessionId)
    {
        if (sessionId != 0)
        {
            _touches.Add(sessionId);
        }
    }

    /// <summary>Carries <paramref name="atLeader"/> to the leader.</summary>
    internal void ToLeader(Action atLeader) => _up.Send(() =>
    {
        if (Leader.Up)
        {
            atLeader();
        }
    });

    /// <summary>Carries something of the leader's to this follower, which applies it and passes it to a client.</summary>
    internal void FromLeader(Action atFollower) => _down.Send(atFollower);

    internal void Attach(SimConnection connection) => _clients.Add(connection);

    /// <summary>
    /// The ensemble restarts: the follower's process restarts with the leader's, so every connection of its clients
    /// closes (as the leader's own do), whatever was on the link is lost, and the follower starts afresh.
    /// </summary>
    /// <remarks>
    /// The connections close here, not only through the leader's sessions: a session the leader ended while this
    /// follower was cut has its close on the link, which the restart empties, and the leader no longer knows that
    /// connection. Left open, such a client kept pinging a follower that answers pings itself, and never learned
    /// that its session was gone (soak seed 25327: a kazoo member claimed its items for good beside their new owner).
    /// </remarks>
    internal void Restart()
    {
        _up.Clear();
        _down.Clear();
        _touches.Clear();
        _leaderHeardTicks = _network.Scheduler.NowTicks;
        foreach (var client in _clients.Where(c => !c.ServerClosed).ToArray())
        {
            client.Reset();
        }

        _clients.Clear();
    }

    private void PingRound()
    {
        _network.Scheduler.Schedule(Tick / 2, PingRound);
        _clients.RemoveAll(c => c.FullyClosed);
        if (!Leader.Up)
        {
            _leaderHeardTicks = _network.Scheduler.NowTicks;
            return;
        }

        if (!Cut)
        {
            // The leader's ping reaches the follower one latency from now, and the follower answers it as it
            // reads it (before applying what came before it). The answer, with the touches recorded by then,
            // goes up the same FIFO link as the requests the follower forwards, so it reaches the leader before
            // any request forwarded after it; a cut holds it there.
            _leaderHeardTicks = _network.Scheduler.NowTicks;
            _network.Scheduler.Schedule(_network.DrawLatency(), () =>
            {
                if (Cut || !Leader.Up)
                {
                    return;
                }

                var relayed = _touches.ToArray();
                _touches.Clear();
                _up.Send(() =>
                {
                    foreach (var id in relayed)
                    {
                        Leader.TouchFromFollower(id);
                    }
                });
            });
            return;
        }

        if (!Looking && _network.Scheduler.NowTicks - _leaderHeardTicks >= SyncLimit * Tick.Ticks)
        {
            // ZooKeeper's follower reads from its leader with a timeout of syncLimit ticks; past it, it shuts
            // down its client connections and looks for a leader. What was held on the link is lost.
            Looking = true;
            _up.Clear();
            _down.Clear();
            _touches.Clear();
            _network.Server.Trace?.Invoke($"zk follower {Id} gave up on the leader after {SyncLimit} ticks; closing its clients");
            foreach (var client in _clients.ToArray())
            {
                client.Reset();
            }

            _clients.Clear();
        }
    }

    /// <summary>One direction of the follower's link to the leader: FIFO, each message after a latency (and the lag), held while cut.</summary>
    private sealed class Link
    {
        private readonly Follower _follower;
        private readonly TimeSpan _extra;
        private readonly Queue<(long ReadyAt, Action Deliver)> _queue = new();
        private long _lastReadyAt;
        private ScheduledAction? _pump;

        public Link(Follower follower, TimeSpan extra)
        {
            _follower = follower;
            _extra = extra;
        }

        public void Send(Action deliver)
        {
            if (_follower.Looking)
            {
                return;
            }

            var scheduler = _follower._network.Scheduler;
            long readyAt = Math.Max(scheduler.NowTicks + (_follower._network.DrawLatency() + _extra).Ticks, _lastReadyAt);
            _lastReadyAt = readyAt;
            _queue.Enqueue((readyAt, deliver));
            EnsurePump();
        }

        public void Clear()
        {
            _queue.Clear();
            _pump?.Cancel();
            _pump = null;
        }

        public void EnsurePump()
        {
            if (_pump is null && _queue.Count > 0 && !_follower.Cut)
            {
                var readyAt = Math.Max(_queue.Peek().ReadyAt, _follower._network.Scheduler.NowTicks);
                _pump = _follower._network.Scheduler.ScheduleAt(readyAt, Pump);
            }
        }

        private void Pump()
        {
            _pump = null;
            if (_follower.Cut || _queue.Count == 0)
            {
                return;
            }

            var (_, deliver) = _queue.Dequeue();
            deliver();
            EnsurePump();
        }
    }
}
