using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Scheduling;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// The simulator's in-memory ZooKeeper (<see cref="InMemoryZooKeeper"/>) behind a port that answers every request at
/// once, on the caller's thread: the same sequential names, ephemerals and atomic multi as every simulated run, with no
/// wire, no server and no waiting. Timing a member over it gives the CPU cost of Core and the shell alone: the part of
/// an allocation that is ours to make faster. Only for one member, on one session.
/// </summary>
/// <remarks>
/// It leaves no watches and so never fires one: in a party of one nothing changes that the member did not do itself.
/// Like the real client's adapter, it gives a multi's creates their creation zxid (the multi's one zxid), so the member
/// reads no stats for its own lock nodes. Nobody traces the model, so it formats no trace line; its clock never moves,
/// so the session never expires.
/// </remarks>
internal sealed class InstantPort : IZooKeeperPort
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly InMemoryZooKeeper _server = new(new SimScheduler(), new SimRandom(1), tickTime: TimeSpan.FromSeconds(1));
    private readonly long _session;

    public InstantPort() => _session = _server.Connect(0, Timeout, new NoConnection())!.Id;

    public TimeSpan SessionTimeout => Timeout;

    public long LastConfirmedTimestamp => TimeProvider.System.GetTimestamp();

    public long? AcceptedConnectTimestamp => TimeProvider.System.GetTimestamp();

    public event Action<SessionChange>? SessionChanged
    {
        add { }
        remove { }
    }

    public PortCallbacks Callbacks => PortCallbacks.DecideInline;

    public void Sync(string path, Action<ZooKeeperError> answered) => answered(_server.Sync(_session));

    /// <summary>Answers at once, inside the call; a watching read leaves no watch (nothing would fire it).</summary>
    public void Send(ZooKeeperCommand request, IRequestSink sink)
    {
        var id = request.OpId;
        sink.Complete(request switch
        {
            CreateNode c => _server.Create(_session, c.Path, c.Data.AsSpan(), c.Kind) is var (error, created) ? new CreateCompleted(id, error, created) : null!,
            DeleteNode c => new DeleteCompleted(id, _server.Delete(_session, c.Path)),
            GetChildren c => _server.GetChildren(_session, c.Path, watch: false) is var (error, children) ? new ChildrenCompleted(id, error, children) : null!,
            Exists c => new ExistsCompleted(id, _server.Exists(_session, c.Path, watch: false)),
            Multi c => _server.Multi(_session, c.Ops, withZxid: true) is var (error, results) ? new MultiCompleted(id, error, results) : null!,
            MultiGetChildren c => _server.MultiGetChildren(_session, c.Paths) is var (error, results) ? new MultiReadCompleted(id, error, results) : null!,
            MultiGetStat c => _server.MultiGetStat(_session, c.Paths) is var (error, results) ? new StatsCompleted(id, error, results) : null!,
            MultiGetData c => _server.MultiGetData(_session, c.Paths) is var (error, results) ? new DataCompleted(id, error, results) : null!,
            _ => throw new ArgumentException($"The request {request} is not one the instant port knows.", nameof(request)),
        });
    }

    /// <summary>The session's connection: it is never notified (no watches are left), closed or dropped (the server never goes down).</summary>
    private sealed class NoConnection : IServerConnection
    {
        public void Notify(string path, WatchEventKind kind) => throw new InvalidOperationException($"the instant port leaves no watches, yet {path} fired {kind}");

        public void Close()
        {
        }

        public void Drop()
        {
        }
    }
}
