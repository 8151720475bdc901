using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>What every part of one benchmark run shares: the server, the mode, kazoo's runner and a client for cleaning up.</summary>
internal sealed class BenchContext(
    BenchMode mode, string connectString, TimeSpan timeBoundary, KazooRunner kazoo, ZooKeeperClient admin, ServerCpu? serverCpu)
{
    private int _paths;

    public BenchMode Mode => mode;

    public string ConnectString => connectString;

    /// <summary>The stability wait of every member, ours and kazoo's.</summary>
    public TimeSpan TimeBoundary => timeBoundary;

    public KazooRunner Kazoo => kazoo;

    /// <summary>The server's CPU seconds so far; NaN when the server is not one the benchmark started.</summary>
    public double ServerCpuSeconds() => serverCpu?.Seconds() ?? double.NaN;

    /// <summary>A party path no earlier run used, so every run creates its lock folders, as a first start does.</summary>
    public string NewPath() => $"/bench-cs-{Environment.ProcessId}-{Interlocked.Increment(ref _paths)}";

    /// <summary>Deletes a finished run's tree (not timed), so the server's memory does not fill up over a long run.</summary>
    public Task RemoveTreeAsync(string path) =>
        string.IsNullOrEmpty(path) ? Task.CompletedTask : TreeRemover.RemoveAsync(admin, path);

    /// <summary>A progress line on stderr; the results table goes to stdout.</summary>
    public void Progress(string line) => Console.Error.WriteLine(line);
}
