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
}
