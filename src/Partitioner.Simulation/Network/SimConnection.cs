using Partitioner.Core;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Network;

/// <summary>
/// One TCP connection between a member and the server: two FIFO channels with per-message latency.
/// Each end can close it; a server close reaches the client after the data already sent (a FIN),
/// a reset reaches it after one latency, and whatever is in flight to an end that has closed is lost.
/// </summary>
internal sealed class SimConnection : IServerConnection
{
    private readonly SimNetwork _network;
    private readonly SimulatedClientPort _client;
    private readonly Channel _toServer;
    private readonly Channel _toClient;
    private readonly Queue<Action> _heldPings = new();
    private int _writesAtLeader;

    public SimConnection(SimNetwork network, SimulatedClientPort client, SimProcess process, Follower? via)
    {
        _network = network;
        _client = client;
        Via = via;
        ClientName = process.Name;
        _toServer = new Channel(this, owner: null, toServer: true, () => ServerClosed || ClientClosed);
        _toClient = new Channel(this, owner: process, toServer: false, () => ClientClosed);
    }

    public string ClientName { get; }

    /// <summary>The follower this connection goes to; null for the leader.</summary>
    public Follower? Via { get; }

    /// <summary>The client has closed its end: nothing more is read or sent.</summary>
    public bool ClientClosed { get; private set; }

    /// <summary>The server has closed its end.</summary>
    public bool ServerClosed { get; private set; }

    public bool FullyClosed => ClientClosed && ServerClosed;

    /// <summary>Sends to the server; <paramref name="atServer"/> runs on arrival unless the server is down (then the connection resets).</summary>
    public void SendToServer(Action atServer) => _toServer.Send(() =>
    {
        if (!_network.Server.Up)
        {
            Reset();
            return;
        }

        atServer();
    });

    /// <summary>Sends to the client; <paramref name="atClient"/> runs on arrival in the client's process.</summary>
    public void SendToClient(Action atClient) => _toClient.Send(atClient);

    /// <summary>
    /// Serves a request that has reached this connection's server: at once on the leader; through a follower,
    /// after a touch there, up its link to the leader and back down after the link's latency and the apply lag.
    /// <paramref name="atLeader"/> runs at the leader and returns what reaches the client. An
    /// <paramref name="ordered"/> request (a write or a sync) holds back the pings that follow it on this connection.
    /// </summary>
    public void ServeAtLeader(long sessionId, bool ordered, Func<Action> atLeader)
    {
        if (Via is not { } follower)
        {
            _network.Server.Heard(sessionId, this);
            SendToClient(atLeader());
            return;
        }

        follower.Touch(sessionId);
        if (ordered)
        {
            _writesAtLeader++;
        }

        follower.ToLeader(() =>
        {
            if (!_network.Server.OwnedThrough(sessionId, follower.Id))
            {
                // SessionMoved: the client has connected elsewhere since; this connection is dead to it.
                return;
            }

            var atClient = atLeader();
            follower.FromLeader(() =>
            {
                if (ordered)
                {
                    _writesAtLeader--;
                    FlushPings();
                }

                SendToClient(atClient);
            });
        });
    }

    /// <summary>Runs <paramref name="atLeader"/> at the leader, through the follower when there is one; nothing comes back.</summary>
    public void ToLeader(Action atLeader)
    {
        if (Via is { } follower)
        {
            follower.ToLeader(atLeader);
        }
        else
        {
            atLeader();
        }
    }

    /// <summary>A ping reached this connection's server, which answers it itself (after the session's writes and syncs).</summary>
    public void ServePing(long sessionId, Action atClient)
    {
        if (Via is not { } follower)
        {
            _network.Server.Heard(sessionId, this);
            SendToClient(atClient);
            return;
        }

        follower.Touch(sessionId);
        _heldPings.Enqueue(atClient);
        FlushPings();
    }

    /// <summary>A connect reached a follower that gave up on its leader: it does not serve.</summary>
    public bool Refused => Via is { Looking: true };

    private void FlushPings()
    {
        while (_writesAtLeader == 0 && _heldPings.TryDequeue(out var reply))
        {
            SendToClient(reply);
        }
    }

    /// <summary>Sends from the leader to the client: through the follower (its link and apply lag) when there is one.</summary>
    public void SendFromLeader(Action atClient)
    {
        if (Via is { } follower)
        {
            follower.FromLeader(() => SendToClient(atClient));
        }
        else
        {
            SendToClient(atClient);
        }
    }

    /// <inheritdoc />
    public void Notify(string path, WatchEventKind kind)
    {
        if (ServerClosed)
        {
            return;
        }

        if (Via is { } follower)
        {
            follower.FromLeader(() =>
            {
                if (!ServerClosed)
                {
                    SendToClient(() => _client.OnNotification(this, path, kind));
                }
            });
        }
        else
        {
            SendToClient(() => _client.OnNotification(this, path, kind));
        }
    }

    /// <inheritdoc />
    public void Close()
    {
        if (Via is { } follower)
        {
            // The follower closes the client's connection when it applies the leader's close of the session.
            follower.FromLeader(CloseHere);
        }
        else
        {
            CloseHere();
        }
    }

    private void CloseHere()
    {
        if (ServerClosed)
        {
            return;
        }

        ServerClosed = true;
        _toClient.Send(() => _client.OnServerClosed(this));
    }

    /// <summary>The server end closes at once (a follower that does not serve).</summary>
    public void Refuse() => CloseHere();

    /// <inheritdoc />
    public void Drop() => CloseHere();

    /// <summary>The client closes its end (read timeout, failed connect, crash, close).</summary>
    public void CloseFromClient()
    {
        ClientClosed = true;
        _toServer.Clear();
        _toClient.Clear();
    }

    /// <summary>A reset: both ends learn at once that the connection is gone (the client after one latency).</summary>
    public void Reset()
    {
        if (ServerClosed && ClientClosed)
        {
            return;
        }

        ServerClosed = true;
        _toServer.Clear();
        _network.Scheduler.Schedule(_network.DrawLatency(), () => _client.OnServerClosed(this), _toClient.Owner);
    }

    /// <summary>Lets held traffic go after a partition heals.</summary>
    public void Flush()
    {
        _toServer.EnsurePump();
        _toClient.EnsurePump();
    }

    private bool Blocked(bool toServer) => _network.IsHeld(ClientName, toServer);

    /// <summary>One direction: messages leave in order and arrive in order, each after its latency.</summary>
    private sealed class Channel
    {
        private readonly SimConnection _connection;
        private readonly Func<bool> _closed;
        private readonly bool _toServer;
        private readonly Queue<(long ReadyAt, Action Deliver)> _queue = new();
        private long _lastReadyAt;
        private ScheduledAction? _pump;

        public Channel(SimConnection connection, SimProcess? owner, bool toServer, Func<bool> closed)
        {
            _connection = connection;
            _toServer = toServer;
            Owner = owner;
            _closed = closed;
        }

        public SimProcess? Owner { get; }

        public void Send(Action deliver)
        {
            if (_closed())
            {
                return;
            }

            var scheduler = _connection._network.Scheduler;
            long readyAt = Math.Max(scheduler.NowTicks + _connection._network.DrawLatency().Ticks, _lastReadyAt);
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
            if (_pump is null && _queue.Count > 0 && !_connection.Blocked(_toServer))
            {
                _pump = _connection._network.Scheduler.ScheduleAt(_queue.Peek().ReadyAt, Pump, Owner);
            }
        }

        private void Pump()
        {
            _pump = null;
            if (_closed())
            {
                _queue.Clear();
                return;
            }

            if (_connection.Blocked(_toServer) || _queue.Count == 0)
            {
                return;
            }

            // One message per step, so that the invariants are checked between any two deliveries.
            var (_, deliver) = _queue.Dequeue();
            deliver();
            EnsurePump();
        }
    }
}
