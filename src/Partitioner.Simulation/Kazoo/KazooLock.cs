using Partitioner.Core;
using Partitioner.Simulation.Checks;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Simulation.Kazoo;

/// <summary>
/// A model of kazoo's Lock recipe as SetPartitioner uses it, written from its documented behaviour:
/// <list type="bullet">
/// <item>Each Lock object draws one prefix, <c>uuid4().hex + "__lock__"</c>; every attempt creates an ephemeral
/// sequential node <c>&lt;prefix&gt;&lt;10-digit sequence&gt;</c> with no data (the partitioner passes no identifier),
/// after ensuring the folder once. A retry after a lost create looks for its node by the prefix.</item>
/// <item>Contenders are the children named <c>...__lock__&lt;10 digits&gt;</c>; only those with a lower sequence
/// (compared as strings) count, and the predecessor is the highest of them; with none, the lock is held. Its own
/// node missing from the listing raises ForceRetryError.</item>
/// <item>While waiting it watches the predecessor (a NoNode answer means look again) and wakes on the watch or on
/// any connection-state change; each pass waits the full timeout, then raises LockTimeout.</item>
/// <item><c>acquire</c> runs the attempt under KazooRetry with the timeout as its deadline: RetryFailedError makes
/// it return False; any other exception, LockTimeout included, first runs the best-effort cleanup (delete its own
/// node, swallowing every error, so a node can leak: kazoo #732) and then re-raises; a False return also cleans
/// up. The next acquire of the same object creates a fresh node with the same prefix.</item>
/// <item><c>release</c> deletes the node under the client's retry (NoNode ignored).</item>
/// </list>
/// </summary>
internal sealed class KazooLock
{
    private const string NodeName = "__lock__";

    private readonly KazooRuntime _runtime;
    private readonly string _owner;
    private bool _assuredPath;
    private bool _createTried;

    public KazooLock(KazooRuntime runtime, string path, string owner)
    {
        _runtime = runtime;
        _owner = owner;
        Path = path;
        Prefix = runtime.Random.NextHex32() + NodeName;
    }

    /// <summary>The lock's folder, <c>P/locks/&lt;item&gt;</c>.</summary>
    public string Path { get; }

    /// <summary>This object's contender prefix.</summary>
    public string Prefix { get; }

    /// <summary>The name of its current node, if it has one.</summary>
    public string? Node { get; private set; }

    /// <summary>True while held (kazoo's <c>is_acquired</c>): it turns false only once the release's delete has been answered.</summary>
    public bool IsAcquired { get; private set; }

    /// <summary>
    /// True from the moment <see cref="ReleaseAsync"/> is called until the next acquire: the delete may be carried out
    /// at any instant from then on, before the reply tells the client, so the lock no longer backs a claim.
    /// </summary>
    public bool Releasing { get; private set; }

    /// <summary>kazoo's <c>acquire(timeout=...)</c>: true when held, false when the retries ran past the timeout.</summary>
    /// <exception cref="KazooException">LockTimeout, or a non-retryable failure (SessionExpired...).</exception>
    public async Task<bool> AcquireAsync(TimeSpan timeout)
    {
        _createTried = false;
        Releasing = false;
        bool gotten;
        try
        {
            gotten = await _runtime.Retry(() => InnerAcquireAsync(timeout), _runtime.NowTicks + timeout.Ticks);
        }
        catch (RetryFailedException)
        {
            gotten = false;
        }
        catch (KazooException)
        {
            await BestEffortCleanupAsync();
            throw;
        }

        IsAcquired = gotten;
        if (!gotten)
        {
            await BestEffortCleanupAsync();
        }

        return gotten;
    }

    /// <summary>kazoo's <c>release()</c>: a retried delete of the node if held (NoNode ignored).</summary>
    /// <exception cref="KazooException">The delete failed for good (SessionExpired...).</exception>
    public async Task ReleaseAsync()
    {
        Releasing = true;
        if (IsAcquired && Node is { } node)
        {
            await _runtime.Retry(async () =>
                KazooRuntime.Check(await _runtime.Session.DeleteAsync(Path + "/" + node), "delete " + node, ZooKeeperError.NoNode));
        }

        IsAcquired = false;
        Node = null;
    }

    private async Task<bool> InnerAcquireAsync(TimeSpan timeout)
    {
        if (!_assuredPath)
        {
            await _runtime.EnsurePathAsync(Path);
            _assuredPath = true;
        }

        string? node = null;
        if (_createTried)
        {
            node = await FindNodeAsync();
        }
        else
        {
            _createTried = true;
        }

        if (node is null)
        {
            var created = await _runtime.Session.CreateAsync(Path + "/" + Prefix, ReadOnlyMemory<byte>.Empty, NodeKind.EphemeralSequential);
            KazooRuntime.Check(created.Error, "create " + Path + "/" + Prefix);
            node = created.CreatedPath![(created.CreatedPath!.LastIndexOf('/') + 1)..];
        }

        Node = node;
        while (true)
        {
            var predecessor = await PredecessorAsync(node);
            if (predecessor is null)
            {
                return true;
            }

            // Woken by the predecessor's watch or by any connection-state change (kazoo's _watch_session).
            var wake = new TaskCompletionSource();
            void OnSession(SessionChange change) => wake.TrySetResult();
            _runtime.Session.SessionChanged += OnSession;
            try
            {
                var exists = await _runtime.Session.ExistsAsync(Path + "/" + predecessor, _ => wake.TrySetResult());
                if (KazooRuntime.Check(exists, "exists " + predecessor, ZooKeeperError.NoNode) == ZooKeeperError.NoNode)
                {
                    continue;
                }

                if (!await _runtime.WaitAsync(wake.Task, timeout))
                {
                    throw new LockTimeoutException($"failed to acquire lock on {Path} after {timeout.TotalSeconds} seconds");
                }
            }
            finally
            {
                _runtime.Session.SessionChanged -= OnSession;
            }
        }
    }

    private async Task<string?> PredecessorAsync(string node)
    {
        var children = await _runtime.GetChildrenAsync(Path);
        var ours = Sequence(node);
        bool foundSelf = false;
        string? predecessor = null;
        string? predecessorSequence = null;
        foreach (var child in children)
        {
            foundSelf |= string.Equals(child, node, StringComparison.Ordinal);
            if (LockAgreementChecker.SequenceOf(child) is null)
            {
                continue;
            }

            // kazoo compares the sequence strings, the highest lower one being the predecessor.
            var sequence = Sequence(child);
            if (string.CompareOrdinal(sequence, ours) < 0 && (predecessorSequence is null || string.CompareOrdinal(sequence, predecessorSequence) > 0))
            {
                predecessor = child;
                predecessorSequence = sequence;
            }
        }

        return foundSelf ? predecessor : throw new ForceRetryException($"{node} is missing from {Path}");
    }

    private async Task<string?> FindNodeAsync()
    {
        foreach (var child in await _runtime.GetChildrenAsync(Path))
        {
            if (child.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return child;
            }
        }

        return null;
    }

    private async Task BestEffortCleanupAsync()
    {
        string? node = Node;
        try
        {
            node ??= await FindNodeAsync();
            if (node is not null)
            {
                var deleted = await _runtime.Session.DeleteAsync(Path + "/" + node);
                if (deleted is not (ZooKeeperError.Ok or ZooKeeperError.NoNode))
                {
                    _runtime.Timeline($"{_owner} (kazoo) could not delete its contender {Path}/{node} ({deleted}) and leaves it (kazoo #732)");
                }
            }
        }
        catch (KazooException e)
        {
            _runtime.Timeline($"{_owner} (kazoo) could not look for its contender under {Path} ({e.Code}); any node it has there is left (kazoo #732)");
        }

        Node = null;
    }

    private static string Sequence(string name) => name[(name.LastIndexOf(NodeName, StringComparison.Ordinal) + NodeName.Length)..];
}
