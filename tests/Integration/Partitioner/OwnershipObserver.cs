using System.Collections.Immutable;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// An independent observer of one party: on its own ZooKeeper session, over and over, it reads who holds
/// every item's lock (the lowest <c>__lock__</c> contender under <c>P/locks/&lt;item&gt;</c>) and what each
/// watched member claims (its stale-safe <see cref="SetPartitioner.AcquiredItems"/>), and records a violation when
/// <list type="bullet">
/// <item>an item is claimed by two members at the same instant, or</item>
/// <item>a member claims an item, unchanged from before the lock read until after it, whose lock it does not hold.</item>
/// </list>
/// Members are told apart by their contender prefix. The observer rides out server outages and its own
/// session's expiry by reconnecting; rounds that cannot read are skipped, not counted.
/// </summary>
internal sealed class OwnershipObserver : IAsyncDisposable
{
    private static readonly TimeSpan RoundInterval = TimeSpan.FromMilliseconds(15);
    private readonly string _connectString;
    private readonly string _path;
    private readonly ImmutableArray<string> _items;
    private readonly object _gate = new();
    private readonly List<SetPartitioner> _members = [];
    private readonly List<string> _violations = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly AuthInfo[] _auth;
    private ZooKeeperClient? _client;
    private int _rounds;

    private OwnershipObserver(string connectString, string path, ImmutableArray<string> items, AuthInfo[] auth)
    {
        _auth = auth;
        _connectString = connectString;
        _path = path;
        _items = items;
        _loop = RunAsync();
    }

    /// <summary>Rounds in which both the locks and the claims were read.</summary>
    public int Rounds => Volatile.Read(ref _rounds);

    /// <summary>Starts observing; <paramref name="auth"/> are the credentials a protected party's nodes need for reading.</summary>
    public static OwnershipObserver Start(string connectString, string path, ImmutableArray<string> items, params AuthInfo[] auth) =>
        new(connectString, path, items, auth);

    /// <summary>Watches <paramref name="member"/>'s claims from now on.</summary>
    public void Watch(SetPartitioner member)
    {
        lock (_gate)
        {
            _members.Add(member);
        }
    }

    /// <summary>Waits for a few more complete rounds (so the end state is observed), then fails on any violation seen.</summary>
    public async Task AssertNoViolations()
    {
        var target = Rounds + 3;
        await PartitionerTestKit.Eventually(() => Rounds >= target, "three more observer rounds");
        lock (_gate)
        {
            Assert.True(_violations.Count == 0, $"{_violations.Count} violations, first: {string.Join(" | ", _violations.Take(5))}");
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (_client is not null)
        {
            await _client.CloseAsync();
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await RoundAsync();
            }
            catch (KeeperException)
            {
                // The server is down or the connection is being re-made: this round saw nothing.
            }

            try
            {
                await Task.Delay(RoundInterval, _stop.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task RoundAsync()
    {
        var client = await ClientAsync();
        var before = Claims();
        var reads = await client.MultiReadAsync(_items.Select(i => ReadOp.GetChildren($"{_path}/locks/{i}")), _stop.Token);
        var after = Claims();
        var holders = _items.Zip(reads, (item, read) => (item, holder: HolderOf(read))).ToDictionary(p => p.item, p => p.holder, StringComparer.Ordinal);
        CheckSingleOwner(before);
        CheckSingleOwner(after);
        CheckStableClaims(before, after, holders);
        Interlocked.Increment(ref _rounds);
    }

    private async Task<ZooKeeperClient> ClientAsync()
    {
        if (_client is { State: ZooKeeperState.Connected or ZooKeeperState.Suspended })
        {
            return _client;
        }

        if (_client is not null)
        {
            await _client.CloseAsync();
            _client = null;
        }

        _client = await ZooKeeperClient.ConnectAsync(
            _connectString, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(4), ReconnectDelayMax = TimeSpan.FromMilliseconds(100), Auth = _auth }, _stop.Token);
        return _client;
    }

    /// <summary>The contender prefix of the lowest kazoo lock node, or null when the lock is free or unreadable.</summary>
    private static string? HolderOf(ReadResult read) =>
        read is ChildrenReadResult children
            ? children.Children
                .Where(c => c.Length > 42 && c.AsSpan(32).StartsWith("__lock__"))
                .OrderBy(c => c[^10..], StringComparer.Ordinal)
                .Select(c => c[..32])
                .FirstOrDefault()
            : null;

    private List<(SetPartitioner Member, long StateId, IReadOnlyList<string> Items)> Claims()
    {
        lock (_gate)
        {
            return [.. _members.Select(m => (m, m.StateId, m.AcquiredItems))];
        }
    }

    private void CheckSingleOwner(List<(SetPartitioner Member, long StateId, IReadOnlyList<string> Items)> claims)
    {
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (member, _, items) in claims)
        {
            foreach (var item in items)
            {
                if (!owner.TryAdd(item, member.Config.Identifier))
                {
                    Violation($"item {item} claimed by both {owner[item]} and {member.Config.Identifier}");
                }
            }
        }
    }

    private void CheckStableClaims(
        List<(SetPartitioner Member, long StateId, IReadOnlyList<string> Items)> before,
        List<(SetPartitioner Member, long StateId, IReadOnlyList<string> Items)> after,
        Dictionary<string, string?> holders)
    {
        foreach (var (member, stateId, items) in before)
        {
            var later = after.FirstOrDefault(a => ReferenceEquals(a.Member, member));
            if (later.Member is null || later.StateId != stateId || !later.Items.SequenceEqual(items))
            {
                continue;
            }

            foreach (var item in items.Where(i => holders.TryGetValue(i, out var h) && h != member.Config.ContenderPrefix))
            {
                Violation($"{member.Config.Identifier} claims {item} but its lock is held by {holders[item] ?? "nobody"}");
            }
        }
    }

    private void Violation(string what)
    {
        lock (_gate)
        {
            if (_violations.Count < 100)
            {
                _violations.Add($"{DateTime.UtcNow:HH:mm:ss.fff} {what}");
            }
        }
    }
}
