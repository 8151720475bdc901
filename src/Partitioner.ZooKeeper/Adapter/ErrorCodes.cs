using Partitioner.Core;
using ZooKeeper.Client;

namespace Partitioner.ZooKeeper.Adapter;

/// <summary>Translates the client's outcomes into Core's error codes.</summary>
internal static class ErrorCodes
{
    /// <summary>The same number in Core's enum; a code Core does not know (a newer server's) is a SystemError.</summary>
    public static ZooKeeperError ToCore(ErrorCode code)
    {
        var value = (ZooKeeperError)(int)code;
        return Enum.IsDefined(value) ? value : ZooKeeperError.SystemError;
    }

    /// <summary>The code a failed request stands for.</summary>
    public static ZooKeeperError Of(Exception? exception) => exception switch
    {
        AggregateException { InnerException: { } inner } => Of(inner),
        KeeperException keeper => ToCore(keeper.Code),
        // A closed client has ended its session: its ephemeral nodes are gone, as after an expiry.
        ObjectDisposedException => ZooKeeperError.SessionExpired,
        // Anything else (a reply the client could not decode) kills the connection, so the outcome is unknown.
        _ => ZooKeeperError.ConnectionLoss,
    };
}
