using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>What a member asked of ZooKeeper: requests sent (round trips) and the operations inside them.</summary>
/// <param name="Requests">Requests sent; a multi or a multiRead counts once.</param>
/// <param name="Operations">ZooKeeper operations; every op inside a multi or multiRead counts.</param>
/// <param name="Multis">Multi (write batch) requests.</param>
/// <param name="MultiReads">MultiRead (children batch) requests.</param>
internal readonly record struct OperationCounts(long Requests, long Operations, long Multis, long MultiReads)
{
    public static OperationCounts operator +(OperationCounts a, OperationCounts b) =>
        new(a.Requests + b.Requests, a.Operations + b.Operations, a.Multis + b.Multis, a.MultiReads + b.MultiReads);

    public static OperationCounts operator -(OperationCounts a, OperationCounts b) =>
        new(a.Requests - b.Requests, a.Operations - b.Operations, a.Multis - b.Multis, a.MultiReads - b.MultiReads);
}

/// <summary>
/// Passes every call on to the real port and counts it, so the benchmark can say how many round trips
/// and ZooKeeper operations an allocation costs. Counting is interlocked because the shell issues requests
/// from whichever thread completed the previous result.
/// </summary>
internal sealed class CountingPort(IZooKeeperPort inner) : IZooKeeperPort
{
    private long _requests;
    private long _operations;
    private long _multis;
    private long _multiReads;

    public TimeSpan SessionTimeout => inner.SessionTimeout;

    public long LastConfirmedTimestamp => inner.LastConfirmedTimestamp;

    public long? AcceptedConnectTimestamp => inner.AcceptedConnectTimestamp;

    public PortCallbacks Callbacks => inner.Callbacks;

    /// <summary>Not counted: a sync is the shell's keepalive, a few per session timeout, not work on the share.</summary>
    public void Sync(string path, Action<ZooKeeperError> answered) => inner.Sync(path, answered);

    public event Action<SessionChange>? SessionChanged
    {
        add => inner.SessionChanged += value;
        remove => inner.SessionChanged -= value;
    }

    /// <summary>The counts so far.</summary>
    public OperationCounts Counts => new(
        Interlocked.Read(ref _requests), Interlocked.Read(ref _operations),
        Interlocked.Read(ref _multis), Interlocked.Read(ref _multiReads));

    public void Send(ZooKeeperCommand request, IRequestSink sink)
    {
        switch (request)
        {
            case Multi c:
                Count(c.Ops.Length);
                Interlocked.Increment(ref _multis);
                break;
            case MultiGetChildren c:
                CountRead(c.Paths.Length);
                break;
            case MultiGetStat c:
                CountRead(c.Paths.Length);
                break;
            case MultiGetData c:
                CountRead(c.Paths.Length);
                break;
            default:
                Count(1);
                break;
        }

        inner.Send(request, sink);
    }

    private void CountRead(int reads)
    {
        Count(reads);
        Interlocked.Increment(ref _multiReads);
    }

    private void Count(int operations)
    {
        Interlocked.Increment(ref _requests);
        Interlocked.Add(ref _operations, operations);
    }
}
