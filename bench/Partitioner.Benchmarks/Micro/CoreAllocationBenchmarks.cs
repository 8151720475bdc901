using BenchmarkDotNet.Attributes;
using Partitioner.Benchmarks.Partitioner;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// Core's decider alone, one member from the start to Acquired over the benchmark's instant port (a whole allocation
/// round: the setup, the party read, the lock multis and their reads), as <see cref="CoreOnlyBench"/> runs it.
/// </summary>
[MemoryDiagnoser]
public class CoreAllocationBenchmarks
{
    /// <summary>The items the member acquires, all of them its share.</summary>
    [Params(1_000, 5_000)]
    public int Items { get; set; }

    /// <summary>One allocation from the start to Acquired.</summary>
    [Benchmark]
    public void AllocateToAcquired() => CoreOnlyBench.RunOnce(Items);
}
