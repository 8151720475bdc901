using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using Partitioner.Core;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// One member's share of 100,000 items among 100 members, as each member computes it on every party change: the
/// sticky function (which computes the whole assignment to find it) beside kazoo's round-robin.
/// </summary>
[MemoryDiagnoser]
public class PartitionFunctionBenchmarks
{
    private ImmutableArray<string> _members;
    private ImmutableArray<string> _items;

    /// <summary>The number of items.</summary>
    [Params(100_000)]
    public int Items { get; set; }

    /// <summary>The number of members.</summary>
    [Params(100)]
    public int Members { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _members = [.. Enumerable.Range(0, Members).Select(i => $"member-{i:D3}").Order(CodePointComparer.Instance)];
        _items = [.. Enumerable.Range(0, Items).Select(i => $"queue-{i:D6}").Order(CodePointComparer.Instance)];
    }

    /// <summary>kazoo's function: every n-th item.</summary>
    [Benchmark(Baseline = true)]
    public int RoundRobin() => PartitionFunctions.RoundRobin(_members[0], _members, _items).Length;

    /// <summary>The sticky function.</summary>
    [Benchmark]
    public int Sticky() => PartitionFunctions.Sticky(_members[0], _members, _items).Length;
}
