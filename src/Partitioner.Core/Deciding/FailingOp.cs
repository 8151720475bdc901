using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>Which op of a failed multi failed, so that a failure's reason names its path and code.</summary>
internal static class FailingOp
{
    /// <summary>
    /// The path and code of the op that failed inside <paramref name="result"/>, whose ops are on <paramref name="paths"/>:
    /// the first one that is neither Ok nor RuntimeInconsistency (what ZooKeeper answers for the ops it did not try).
    /// </summary>
    public static (string Path, ZooKeeperError Error) In(ImmutableArray<string> paths, MultiCompleted result)
    {
        for (int i = 0; i < result.Results.Length && i < paths.Length; i++)
        {
            if (result.Results[i].Error is not ZooKeeperError.Ok and not ZooKeeperError.RuntimeInconsistency)
            {
                return (paths[i], result.Results[i].Error);
            }
        }

        return (paths.IsEmpty ? "(empty multi)" : paths[0], result.Error);
    }
}
