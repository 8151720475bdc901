using System.Collections.Immutable;
using System.Diagnostics;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Adapter;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// One C# member of the hand-off benchmark: its own client (session) and a partitioner whose work writes each item's
/// start and stop into the shared <see cref="WorkLedger"/> from inside the work callback. Eager members run the per-set
/// <see cref="SetPartitioner.RunAsync"/>, cooperative ones <see cref="SetPartitioner.RunItemsAsync"/> with the sticky function.
/// </summary>
internal sealed class HandOffMember : IAsyncDisposable
{
    private readonly ZooKeeperClient _client;
    private readonly CancellationTokenSource _leave;
    private readonly Task _run;

    private HandOffMember(ZooKeeperClient client, SetPartitioner partitioner, CancellationTokenSource leave, Task run)
    {
        _client = client;
        Partitioner = partitioner;
        _leave = leave;
        _run = run;
    }

    public SetPartitioner Partitioner { get; }

    /// <summary>Seconds on the bench process's one monotonic clock: every C# start and stop is taken from it.</summary>
    public static double Now() => Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    /// <summary>The partition function of the mode: kazoo's round-robin for eager, the sticky one for cooperative.</summary>
    public static PartitionFunction FunctionOf(RebalanceMode mode) =>
        mode == RebalanceMode.Cooperative ? PartitionFunctions.Sticky : PartitionFunctions.RoundRobin;

    /// <summary>Connects a client and starts the member's work loop on it (a restarted member does both again).</summary>
    public static async Task<HandOffMember> StartAsync(
        string connectString, string path, ImmutableArray<string> items, string identifier, RebalanceMode mode, TimeSpan timeBoundary, WorkLedger ledger)
    {
        var client = await ZooKeeperClient.ConnectAsync(connectString,
            new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), FrameBytesMax = 16 << 20 });
        var partitioner = new SetPartitioner(new ZooKeeperClientPort(client), path, items, new SetPartitionerOptions
        {
            Identifier = identifier,
            TimeBoundary = timeBoundary,
            TimeProvider = client.TimeProvider,
            Rebalance = mode,
            PartitionFunction = mode == RebalanceMode.Cooperative ? PartitionFunctions.Sticky : null,
            PartitionFunctionName = mode == RebalanceMode.Cooperative ? "sticky" : null,
        });
        var leave = new CancellationTokenSource();
        var run = mode == RebalanceMode.Cooperative
            ? partitioner.RunItemsAsync(work => WorkOnItemAsync(ledger, identifier, work), leave.Token)
            : partitioner.RunAsync((set, stopping) => WorkOnSetAsync(ledger, identifier, set, stopping), leave.Token);
        return new HandOffMember(client, partitioner, leave, run);
    }

    private static async Task WorkOnItemAsync(WorkLedger ledger, string identifier, ItemWork work)
    {
        ledger.Start(identifier, work.Item, Now());
        await WaitStoppedAsync(work.Stopping);
        ledger.Stop(identifier, work.Item, Now());
    }

    private static async Task WorkOnSetAsync(WorkLedger ledger, string identifier, IReadOnlyList<string> set, CancellationToken stopping)
    {
        double started = Now();
        foreach (string item in set)
        {
            ledger.Start(identifier, item, started);
        }

        await WaitStoppedAsync(stopping);
        double stopped = Now();
        foreach (string item in set)
        {
            ledger.Stop(identifier, item, stopped);
        }
    }

    private static async Task WaitStoppedAsync(CancellationToken stopping)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, stopping);
        }
        catch (OperationCanceledException)
        {
            // Told to stop: the work ends here, and the caller records the instant.
        }
    }

    /// <summary>Leaves in order, as a process stopping would: the works stop, the member finishes, the session closes.</summary>
    public async ValueTask DisposeAsync()
    {
        await _leave.CancelAsync();
        try
        {
            await _run;
        }
        catch (OperationCanceledException)
        {
            // The loop ended because it was told to: that is the leave.
        }
        finally
        {
            await Partitioner.DisposeAsync();
            await _client.DisposeAsync();
            _leave.Dispose();
        }
    }
}
