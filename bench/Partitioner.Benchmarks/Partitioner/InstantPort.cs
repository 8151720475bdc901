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

    // The codes a delete, an exists or a sync answers with, as tasks made once: such an answer allocates nothing.
    private static readonly Task<ZooKeeperError> Ok = Task.FromResult(ZooKeeperError.Ok);
    private static readonly Task<ZooKeeperError> NoNode = Task.FromResult(ZooKeeperError.NoNode);

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

    public Task<ZooKeeperError> SyncAsync(string path) => Answer(_server.Sync(_session));

    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl)
    {
        var (error, created) = _server.Create(_session, path, data.Span, kind);
        return Task.FromResult(new CreateOutcome(error, created));
    }

    public Task<ZooKeeperError> DeleteAsync(string path) => Answer(_server.Delete(_session, path));

    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch)
    {
        var (error, children) = _server.GetChildren(_session, path, watch: false);
        return Task.FromResult(new ChildrenOutcome(error, children));
    }

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) => Answer(_server.Exists(_session, path, watch: false));

    public Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops)
    {
        var (error, results) = _server.Multi(_session, ops, withZxid: true);
        return Task.FromResult(new MultiOutcome(error, results));
    }

    public Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths)
    {
        var (error, results) = _server.MultiGetChildren(_session, paths);
        return Task.FromResult(new MultiReadOutcome(error, results));
    }

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths)
    {
        var (error, results) = _server.MultiGetStat(_session, paths);
        return Task.FromResult(new MultiStatOutcome(error, results));
    }

    public Task<MultiDataOutcome> MultiGetDataAsync(ImmutableArray<string> paths)
    {
        var (error, results) = _server.MultiGetData(_session, paths);
        return Task.FromResult(new MultiDataOutcome(error, results));
    }

    private static Task<ZooKeeperError> Answer(ZooKeeperError error) => error switch
    {
        ZooKeeperError.Ok => Ok,
        ZooKeeperError.NoNode => NoNode,
        _ => Task.FromResult(error),
    };

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
