namespace Partitioner.Benchmarks.Partitioner;

/// <summary>How much the benchmark runs: the full mode for the README's figures, the short one for CI.</summary>
/// <param name="Name">"full" or "short", printed with the results.</param>
/// <param name="OurRepetitions">Timed runs of ours per case, after untimed warm-up runs.</param>
/// <param name="KazooRepetitions">Timed runs of kazoo per case it runs in.</param>
/// <param name="AcquireSizes">Item counts for the one-member acquisition, ours.</param>
/// <param name="KazooAcquireSizes">Item counts for the one-member acquisition, kazoo (a subset of <paramref name="AcquireSizes"/>).</param>
/// <param name="KazooRebalance">Whether kazoo's rebalance runs (10-20 seconds a run here).</param>
/// <param name="MemoryItems">Items held by the member whose memory is measured.</param>
/// <param name="InstantSizes">Item counts for Core and the shell over the instant in-memory port.</param>
/// <param name="ServerWarmUpRuns">Untimed acquisitions of the largest size before anything is timed.</param>
internal sealed record BenchMode(
    string Name,
    int OurRepetitions,
    int KazooRepetitions,
    int[] AcquireSizes,
    int[] KazooAcquireSizes,
    bool KazooRebalance,
    int MemoryItems,
    int[] InstantSizes,
    int ServerWarmUpRuns)
{
    /// <summary>Members holding the set before one more joins.</summary>
    public const int RebalanceMembers = 8;

    /// <summary>Items the rebalancing party shares.</summary>
    public const int RebalanceItems = 2_000;

    /// <summary>The README's figures: several runs of every case, kazoo at both sizes and in the rebalance.</summary>
    public static BenchMode Full { get; } = new("full", 9, 3, [1_000, 5_000], [1_000, 5_000], true, 100_000, [1_000, 5_000, 100_000], 3);

    /// <summary>CI's: few runs, kazoo (seconds per run) at 1,000 items only; well under two minutes.</summary>
    public static BenchMode Short { get; } = new("short", 3, 1, [1_000, 5_000], [1_000], false, 100_000, [1_000, 5_000], 1);
}
