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
    private readonly SimNetwork network;
    private readonly SimulatedClientPort client;
    private readonly Channel toServer;
    private readonly Channel toClient;
    private readonly Queue<Action> heldPings = new();
    private int writesAtLeader;

    public SimConnection(SimNetwork network, SimulatedClientPort client, SimProcess process, Follower? via)
    {
        this.network = network;
        this.client = client;
        Via = via;
        ClientName = process.Name;
        toServer = new Channel(this, owner: null, toServer: true, () => ServerClosed || ClientClosed);
        toClient = new Channel(this, owner: process, toServer: false, () => ClientClosed);
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
    public void SendToServer(Action atServer) => toServer.Send(() =>
    {
        if (!network.Server.Up)
        {
            Reset();
            return;
        }

        atServer();
    });

    /// <summary>Sends to the client; <paramref name="atClient"/> runs on arrival in the client's process.</summary>
    public void SendToClient(Action atClient) => toClient.Send(atClient);

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
            network.Server.Heard(sessionId, this);
            SendToClient(atLeader());
            return;
        }

        follower.Touch(sessionId);
        if (ordered)
        {
            writesAtLeader++;
        }

        follower.ToLeader(() =>
        {
            if (!network.Server.OwnedThrough(sessionId, follower.Id))
            {
                // SessionMoved: the client has connected elsewhere since; this connection is dead to it.
                return;
            }

            var atClient = atLeader();
            follower.FromLeader(() =>
            {
                if (ordered)
                {
                    writesAtLeader--;
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
            network.Server.Heard(sessionId, this);
            SendToClient(atClient);
            return;
        }

        follower.Touch(sessionId);
        heldPings.Enqueue(atClient);
        FlushPings();
    }

    /// <summary>A connect reached a follower that gave up on its leader: it does not serve.</summary>
    public bool Refused => Via is { Looking: true };

    private void FlushPings()
    {
        while (writesAtLeader == 0 && heldPings.TryDequeue(out var reply))
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
                    SendToClient(() => client.OnNotification(this, path, kind));
                }
            });
        }
        else
        {
            SendToClient(() => client.OnNotification(this, path, kind));
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
        toClient.Send(() => client.OnServerClosed(this));
    }

    /// <summary>The server end closes at once (a follower that does not serve).</summary>
    public void Refuse() => CloseHere();

    /// <inheritdoc />
    public void Drop() => CloseHere();

    /// <summary>The client closes its end (read timeout, failed connect, crash, close).</summary>
    public void CloseFromClient()
    {
        ClientClosed = true;
        toServer.Clear();
        toClient.Clear();
    }

    /// <summary>A reset: both ends learn at once that the connection is gone (the client after one latency).</summary>
    public void Reset()
    {
        if (ServerClosed && ClientClosed)
        {
            return;
        }

        ServerClosed = true;
        toServer.Clear();
        network.Scheduler.Schedule(network.DrawLatency(), () => client.OnServerClosed(this), toClient.Owner);
    }

    /// <summary>Lets held traffic go after a partition heals.</summary>
    public void Flush()
    {
        toServer.EnsurePump();
        toClient.EnsurePump();
    }

    private bool Blocked(bool toServer) => network.IsHeld(ClientName, toServer);

    /// <summary>One direction: messages leave in order and arrive in order, each after its latency.</summary>
    private sealed class Channel
    {
        private readonly SimConnection connection;
        private readonly Func<bool> closed;
        private readonly bool toServer;
        private readonly Queue<(long ReadyAt, Action Deliver)> queue = new();
        private long lastReadyAt;
        private ScheduledAction? pump;

        public Channel(SimConnection connection, SimProcess? owner, bool toServer, Func<bool> closed)
        {
            this.connection = connection;
            this.toServer = toServer;
            Owner = owner;
            this.closed = closed;
        }

        public SimProcess? Owner { get; }

        public void Send(Action deliver)
        {
            if (closed())
            {
                return;
            }

            var scheduler = connection.network.Scheduler;
            long readyAt = Math.Max(scheduler.NowTicks + connection.network.DrawLatency().Ticks, lastReadyAt);
            lastReadyAt = readyAt;
            queue.Enqueue((readyAt, deliver));
            EnsurePump();
        }

        public void Clear()
        {
            queue.Clear();
            pump?.Cancel();
            pump = null;
        }

        public void EnsurePump()
        {
            if (pump is null && queue.Count > 0 && !connection.Blocked(toServer))
            {
                pump = connection.network.Scheduler.ScheduleAt(queue.Peek().ReadyAt, Pump, Owner);
            }
        }

        private void Pump()
        {
            pump = null;
            if (closed())
            {
                queue.Clear();
                return;
            }

            if (connection.Blocked(toServer) || queue.Count == 0)
            {
                return;
            }

            // One message per step, so that the invariants are checked between any two deliveries.
            var (_, deliver) = queue.Dequeue();
            deliver();
            EnsurePump();
        }
    }
}
