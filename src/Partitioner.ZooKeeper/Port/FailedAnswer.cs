using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.ZooKeeper.Port;

/// <summary>The answer to a request that failed as a whole (ConnectionLoss, SessionExpired): for every port, and the shell.</summary>
public static class FailedAnswer
{
    /// <summary>
    /// Core's event for <paramref name="request"/> failing as a whole with <paramref name="error"/>: no created path, no
    /// per-op or per-read results.
    /// </summary>
    /// <param name="request">The request that failed.</param>
    /// <param name="error">Why it failed.</param>
    /// <exception cref="ArgumentException"><paramref name="request"/> is not one of the requests a port takes.</exception>
    public static OperationCompleted For(ZooKeeperCommand request, ZooKeeperError error)
    {
        ArgumentNullException.ThrowIfNull(request);
        var id = request.OpId;
        return request switch
        {
            CreateNode => new CreateCompleted(id, error, null),
            DeleteNode => new DeleteCompleted(id, error),
            GetChildren => new ChildrenCompleted(id, error, ImmutableArray<string>.Empty),
            Exists => new ExistsCompleted(id, error),
            Multi => new MultiCompleted(id, error, ImmutableArray<WriteResult>.Empty),
            MultiGetChildren => new MultiReadCompleted(id, error, ImmutableArray<ChildrenResult>.Empty),
            MultiGetStat => new StatsCompleted(id, error, ImmutableArray<StatResult>.Empty),
            MultiGetData => new DataCompleted(id, error, ImmutableArray<DataResult>.Empty),
            _ => throw new ArgumentException($"The request {request} is not one a port takes.", nameof(request)),
        };
    }
}
