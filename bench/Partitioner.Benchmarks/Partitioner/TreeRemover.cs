using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// Deletes a benchmark's party tree between runs, so that lock folders (persistent, never deleted by the
/// recipe) do not pile up in the server's memory over a long run. Not timed.
/// </summary>
internal static class TreeRemover
{
    private const int BatchSizeMax = 500;

    private const int AttemptsMax = 5;
    private static readonly TimeSpan RetryPause = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Deletes <paramref name="root"/> and everything under it; a missing node is not an error. A lost connection
    /// (a server busy with a large session's clean-up) is retried from the start, at most <see cref="AttemptsMax"/>
    /// times: reading and deleting again is harmless, since nodes already gone are skipped.
    /// </summary>
    public static async Task RemoveAsync(ZooKeeperClient client, string root)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                await RemoveOnceAsync(client, root);
                return;
            }
            catch (ConnectionLossException) when (attempt < AttemptsMax)
            {
                await Task.Delay(RetryPause);
            }
        }
    }

    private static async Task RemoveOnceAsync(ZooKeeperClient client, string root)
    {
        var levels = await ReadLevelsAsync(client, root);
        for (int depth = levels.Count - 1; depth >= 0; depth--)
        {
            foreach (var batch in levels[depth].Chunk(BatchSizeMax))
            {
                await DeleteBatchAsync(client, batch);
            }
        }
    }

    /// <summary>The tree's paths by depth: the root alone first, then its children, and so on.</summary>
    private static async Task<List<List<string>>> ReadLevelsAsync(ZooKeeperClient client, string root)
    {
        var levels = new List<List<string>> { new() { root } };
        while (true)
        {
            var next = new List<string>();
            foreach (var batch in levels[^1].Chunk(BatchSizeMax))
            {
                var results = await client.MultiReadAsync(batch.Select(ReadOp.GetChildren));
                for (int i = 0; i < batch.Length; i++)
                {
                    if (results[i] is ChildrenReadResult children)
                    {
                        next.AddRange(children.Children.Select(child => batch[i] + "/" + child));
                    }
                }
            }

            if (next.Count == 0)
            {
                return levels;
            }

            levels.Add(next);
        }
    }

    /// <summary>One multi for the batch; when it fails (a node already gone), each delete on its own.</summary>
    private static async Task DeleteBatchAsync(ZooKeeperClient client, string[] paths)
    {
        var outcome = await client.TryMultiAsync(paths.Select(path => Op.Delete(path)));
        if (outcome.Succeeded)
        {
            return;
        }

        foreach (string path in paths)
        {
            try
            {
                await client.DeleteAsync(path);
            }
            catch (NoNodeException)
            {
                // Gone already: nothing to delete.
            }
        }
    }
}
