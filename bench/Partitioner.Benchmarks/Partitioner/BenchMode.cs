namespace Partitioner.Benchmarks.Partitioner;

/// <summary>How much the benchmark runs: the full mode for the README's figures, the short one for CI.</summary>
/// <param name="Name">"full" or "short", printed with the results.</param>
/// <param name="OurRepetitions">Timed runs of ours per case, after one untimed warm-up run.</param>
/// <param name="KazooRepetitions">Timed runs of kazoo per case.</param>
/// <param name="AcquireSizes">Item counts for the one-member acquisition, ours.</param>
/// <param name="KazooAcquireSizes">Item counts for the one-member acquisition, kazoo (a subset of <paramref name="AcquireSizes"/>).</param>
/// <param name="MemoryItems">Items held by the member whose memory is measured.</param>
internal sealed record BenchMode(
    string Name, int OurRepetitions, int KazooRepetitions, int[] AcquireSizes, int[] KazooAcquireSizes, int MemoryItems)
{
    /// <summary>Members holding the set before one more joins.</summary>
    public const int RebalanceMembers = 8;

    /// <summary>Items the rebalancing party shares.</summary>
    public const int RebalanceItems = 2_000;

    /// <summary>The README's figures: several runs of every case, kazoo at both sizes.</summary>
    public static BenchMode Full { get; } = new("full", 9, 3, [1_000, 5_000], [1_000, 5_000], 100_000);

    /// <summary>CI's: few runs, and kazoo (seconds per run) at 1,000 items only; well under two minutes.</summary>
    public static BenchMode Short { get; } = new("short", 3, 1, [1_000, 5_000], [1_000], 100_000);
}
