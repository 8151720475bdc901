using Partitioner.Core;
using Partitioner.Simulation.Network;

namespace Partitioner.Simulation.Kazoo;

/// <summary>A kazoo exception, by the ZooKeeper code that caused it (kazoo raises where the port returns a code).</summary>
internal class KazooException(string message, ZooKeeperError code = ZooKeeperError.Ok) : Exception(message)
{
    /// <summary>The code of the failed request (Ok for kazoo's own exceptions).</summary>
    public ZooKeeperError Code { get; } = code;

    /// <summary>KazooRetry tries again after these: ConnectionLoss, OperationTimeout (and ForceRetryError).</summary>
    public virtual bool Retryable => Code is ZooKeeperError.ConnectionLoss or ZooKeeperError.OperationTimeout;
}

/// <summary>kazoo's LockTimeout: the lock was not had within the timeout.</summary>
internal sealed class LockTimeoutException(string message) : KazooException(message);

/// <summary>kazoo's RetryFailedError: the retries ran past their deadline.</summary>
internal sealed class RetryFailedException(string message) : KazooException(message);

/// <summary>kazoo's ForceRetryError: the lock's own node is missing from the listing, so the attempt starts again.</summary>
internal sealed class ForceRetryException(string message) : KazooException(message)
{
    public override bool Retryable => true;
}

/// <summary>
/// What the kazoo model needs from its process: the session, sleeping and waiting on its clock, its random
/// draws (uuid4 hex) and a line in the timeline. Every continuation runs in the member's process.
/// </summary>
internal sealed class KazooRuntime(SimulatedClientPort session, Func<TimeSpan, Task> sleep, Func<long> nowTicks, SimRandom random, Action<string> timeline)
{
    /// <summary>KazooRetry's first delay; it doubles after each try (kazoo's defaults: 0.1 s, backoff 2).</summary>
    private static readonly TimeSpan RetryDelayFirst = TimeSpan.FromMilliseconds(100);

    /// <summary>The longest delay between tries, in this model (kazoo's is larger; its client reconnects well within it).</summary>
    private static readonly TimeSpan RetryDelayMax = TimeSpan.FromSeconds(1.6);

    public SimulatedClientPort Session { get; } = session;

    public SimRandom Random { get; } = random;

    /// <summary>The member's clock now, in ticks.</summary>
    public long NowTicks => nowTicks();

    public Task Sleep(TimeSpan span) => sleep(span);

    public void Timeline(string line) => timeline(line);

    /// <summary>True when <paramref name="wake"/> completes within <paramref name="timeout"/>, false at the timeout.</summary>
    public Task<bool> WaitAsync(Task wake, TimeSpan timeout)
    {
        var result = new TaskCompletionSource<bool>();
        _ = sleep(timeout).ContinueWith(_ => result.TrySetResult(false), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        _ = wake.ContinueWith(_ => result.TrySetResult(true), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        return result.Task;
    }

    /// <summary>
    /// KazooRetry: runs <paramref name="attempt"/> again after each retryable exception, sleeping 0.1 s, then twice as
    /// long each time; with a <paramref name="deadline"/> (the member's clock, in ticks), a sleep that would end past it
    /// raises RetryFailedError instead. Other exceptions pass through.
    /// </summary>
    public async Task<T> Retry<T>(Func<Task<T>> attempt, long? deadline = null)
    {
        var delay = RetryDelayFirst;
        while (true)
        {
            try
            {
                return await attempt();
            }
            catch (KazooException e) when (e.Retryable)
            {
                if (deadline is { } end && NowTicks + delay.Ticks >= end)
                {
                    throw new RetryFailedException($"Exceeded retry deadline ({e.Message})");
                }

                await Sleep(delay);
                delay = delay * 2 > RetryDelayMax ? RetryDelayMax : delay * 2;
            }
        }
    }

    /// <summary>A request's code as kazoo reports it: Ok passes, <paramref name="accepted"/> codes pass, the rest raise.</summary>
    public static ZooKeeperError Check(ZooKeeperError code, string what, params ZooKeeperError[] accepted)
    {
        if (code == ZooKeeperError.Ok || Array.IndexOf(accepted, code) >= 0)
        {
            return code;
        }

        throw new KazooException($"{what}: {code}", code);
    }

    /// <summary>client.ensure_path, retried: creates each missing node of <paramref name="path"/> (NodeExists is fine).</summary>
    public Task EnsurePathAsync(string path) => Retry(async () =>
    {
        int slash = 0;
        while (slash >= 0)
        {
            slash = path.IndexOf('/', slash + 1);
            var prefix = slash < 0 ? path : path[..slash];
            var created = await Session.CreateAsync(prefix, ReadOnlyMemory<byte>.Empty, NodeKind.Persistent);
            Check(created.Error, "ensure_path " + prefix, ZooKeeperError.NodeExists);
        }

        return true;
    });

    /// <summary>get_children, raising on any code but Ok.</summary>
    public async Task<IReadOnlyList<string>> GetChildrenAsync(string path, Action<WatchEventKind>? watch = null)
    {
        var listing = await Session.GetChildrenAsync(path, watch);
        Check(listing.Error, "get_children " + path);
        return listing.Children;
    }
}
