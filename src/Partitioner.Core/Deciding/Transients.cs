namespace Partitioner.Core;

/// <summary>
/// The result codes that say "not now" rather than "never", as ZooKeeper means them:
/// <list type="bullet">
/// <item>ConnectionLoss: the connection went before the answer came; a write may or may not have been applied.</item>
/// <item>OperationTimeout: the request timed out; its outcome is unknown, as after a ConnectionLoss.</item>
/// <item>ThrottledOp: the server was overloaded and did not run the request at all; it asks the client to send it
/// again, not at once.</item>
/// <item>SessionMoved: the session is now attached to another server, so this one ignored the request; it can be
/// sent again once the client is on the new connection.</item>
/// </list>
/// Core treats all four as ConnectionLoss, the most cautious of them: the outcome is taken as unknown (a lock
/// create that may have applied is found again by its prefix), and the work is sent again on the retry timer,
/// which backs off (see <see cref="Retries"/>), or when the connection is back. The code may arrive for the whole
/// request or for one op or read inside a multi.
/// </summary>
internal static class Transients
{
    /// <summary>True for the codes after which the request is to be sent again later.</summary>
    public static bool IsTransient(ZooKeeperError error) =>
        error is ZooKeeperError.ConnectionLoss or ZooKeeperError.OperationTimeout or ZooKeeperError.ThrottledOp or ZooKeeperError.SessionMoved;

    /// <summary>
    /// The result with every transient code in it, whole or per op, read as ConnectionLoss; the result itself when
    /// it holds none (the common case allocates nothing).
    /// </summary>
    public static OperationCompleted AsConnectionLoss(OperationCompleted result) => result switch
    {
        MultiCompleted multi when multi.Results.Any(r => IsRetryableOther(r.Error)) || IsRetryableOther(multi.Error) => multi with
        {
            Error = Map(multi.Error),
            Results = [.. multi.Results.Select(r => IsRetryableOther(r.Error) ? r with { Error = ZooKeeperError.ConnectionLoss } : r)],
        },
        MultiReadCompleted reads when reads.Results.Any(r => IsRetryableOther(r.Error)) || IsRetryableOther(reads.Error) => reads with
        {
            Error = Map(reads.Error),
            Results = [.. reads.Results.Select(r => IsRetryableOther(r.Error) ? r with { Error = ZooKeeperError.ConnectionLoss } : r)],
        },
        StatsCompleted stats when stats.Results.Any(r => IsRetryableOther(r.Error)) || IsRetryableOther(stats.Error) => stats with
        {
            Error = Map(stats.Error),
            Results = [.. stats.Results.Select(r => IsRetryableOther(r.Error) ? r with { Error = ZooKeeperError.ConnectionLoss } : r)],
        },
        DataCompleted data when data.Results.Any(r => IsRetryableOther(r.Error)) || IsRetryableOther(data.Error) => data with
        {
            Error = Map(data.Error),
            Results = [.. data.Results.Select(r => IsRetryableOther(r.Error) ? r with { Error = ZooKeeperError.ConnectionLoss } : r)],
        },
        MultiCompleted or MultiReadCompleted or StatsCompleted or DataCompleted => result,
        _ when IsRetryableOther(result.Error) => result with { Error = ZooKeeperError.ConnectionLoss },
        _ => result,
    };

    private static ZooKeeperError Map(ZooKeeperError error) => IsRetryableOther(error) ? ZooKeeperError.ConnectionLoss : error;

    private static bool IsRetryableOther(ZooKeeperError error) => error != ZooKeeperError.ConnectionLoss && IsTransient(error);
}
