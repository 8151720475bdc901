using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;

namespace Partitioner.Integration.Partitioner;

/// <summary>Bounded waits, clients with test-friendly settings, and partitioners set up as kazoo's tests set them up.</summary>
internal static class PartitionerTestKit
{
    /// <summary>The longest any wait in these tests may take; a hang becomes a failure, not a stuck run.</summary>
    public static readonly TimeSpan WaitMax = TimeSpan.FromSeconds(20);

    /// <summary>kazoo's tests use a time boundary of 0.2 s.</summary>
    public static readonly TimeSpan TimeBoundary = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static int Prefixes;

    /// <summary>The items kazoo's tests use, <c>range(size)</c>, as their lock node names.</summary>
    public static ImmutableArray<string> Range(int size) =>
        [.. Enumerable.Range(0, size).Select(i => i.ToString(CultureInfo.InvariantCulture))];

    /// <summary>A fresh contender prefix: 32 lowercase hex digits, unique in the run, so tests can tell whose lock node is whose.</summary>
    public static string NextPrefix() => Interlocked.Increment(ref Prefixes).ToString("x32", CultureInfo.InvariantCulture);

    public static Task<ZooKeeperClient> Connect(string connectString, TimeSpan? sessionTimeout = null, params AuthInfo[] auth)
    {
        using var timeout = new CancellationTokenSource(WaitMax);
        var options = new ZooKeeperClientOptions
        {
            SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            CloseTimeout = TimeSpan.FromSeconds(1),
            Auth = auth,
        };
        return ZooKeeperClient.ConnectAsync(connectString, options, timeout.Token);
    }

    /// <summary>
    /// A member's options in <paramref name="rebalance"/> mode: eager members use kazoo's round-robin, cooperative ones
    /// <see cref="PartitionFunctions.Sticky"/>, the function the cooperative mode is meant for (round-robin would move
    /// most items on every change).
    /// </summary>
    public static SetPartitionerOptions Options(string? identifier, string? prefix = null, RebalanceMode rebalance = RebalanceMode.Eager) => new()
    {
        Identifier = identifier,
        TimeBoundary = TimeBoundary,
        MaxReactionTime = TimeSpan.FromMilliseconds(500),
        ContenderPrefix = prefix ?? NextPrefix(),
        Rebalance = rebalance,
        PartitionFunction = rebalance == RebalanceMode.Cooperative ? PartitionFunctions.Sticky : null,
    };

    /// <summary>
    /// The share of <paramref name="identifier"/> in the party <paramref name="members"/> with the function
    /// <see cref="Options"/> gives <paramref name="rebalance"/> mode. Round-robin is written out (items in code-point
    /// order, every n-th from the member's index among the sorted members, as kazoo's tests state it); the sticky
    /// assignment has no short statement, so it is Core's function, whose own tests check it.
    /// </summary>
    public static IReadOnlyList<string> Share(RebalanceMode rebalance, string identifier, IEnumerable<string> members, IEnumerable<string> items)
    {
        var party = members.Order(StringComparer.Ordinal).ToImmutableArray();
        var sorted = items.Order(StringComparer.Ordinal).ToImmutableArray();
        return rebalance == RebalanceMode.Cooperative
            ? PartitionFunctions.Sticky(identifier, party, sorted)
            : sorted.Where((_, k) => k % party.Length == party.IndexOf(identifier)).ToList();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds; fails naming <paramref name="what"/> after <paramref name="within"/>.</summary>
    public static async Task Eventually(Func<bool> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? WaitMax);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Polls an async condition until it holds, as <see cref="Eventually(Func{bool}, string, TimeSpan?)"/>.</summary>
    public static async Task Eventually(Func<Task<bool>> condition, string what, TimeSpan? within = null)
    {
        var deadline = DateTime.UtcNow + (within ?? WaitMax);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for: {what}");
            }

            await Task.Delay(PollInterval);
        }
    }

    /// <summary>Waits for Acquired, failing with the member's state when it does not come.</summary>
    public static async Task AssertAcquires(this SetPartitioner member)
    {
        var acquired = await member.WaitForAcquireAsync(WaitMax);
        Assert.True(acquired, $"{member.Config.Identifier} is {member.State} ({member.FailureReason}), not Acquired");
    }

    /// <summary>Waits for every member to be Acquired at once, then checks each one's share as it was at that instant.</summary>
    public static async Task AssertShares(IReadOnlyList<SetPartitioner> members, params string[][] expected)
    {
        Assert.Equal(expected.Length, members.Count);
        IReadOnlyList<IReadOnlyList<string>>? shares = null;
        await Eventually(() => (shares = SharesWhileAcquired(members)) is not null, "every member Acquired");
        for (var i = 0; i < members.Count; i++)
        {
            Assert.Equal(expected[i], shares![i]);
        }
    }

    /// <summary>
    /// Every member's <see cref="SetPartitioner.AcquiredItems"/>, read while all of them were Acquired; null when one
    /// was not. A claim lapses for a while whenever a member cannot prove its session alive in time (a loaded machine
    /// delays its syncs), so a share is read only between two readings that found every member Acquired, never later.
    /// </summary>
    public static IReadOnlyList<IReadOnlyList<string>>? SharesWhileAcquired(IReadOnlyList<SetPartitioner> members)
    {
        if (!members.All(m => m.Acquired))
        {
            return null;
        }

        var shares = members.Select(m => m.AcquiredItems).ToList();
        return members.All(m => m.Acquired) ? shares : null;
    }

    /// <summary>The identifiers in the party, read from <c>P/party</c> as kazoo's ShallowParty reads them.</summary>
    public static async Task<ImmutableArray<string>> PartyMembers(ZooKeeperClient client, string path)
    {
        var children = await client.GetChildrenAsync($"{path}/party");
        return [.. children.Select(c => c[(c.IndexOf('-', StringComparison.Ordinal) + 1)..]).Order(StringComparer.Ordinal)];
    }

    /// <summary>Creates <paramref name="path"/> and its missing ancestors as persistent nodes.</summary>
    public static async Task EnsurePath(ZooKeeperClient client, string path)
    {
        var at = "";
        foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            at += "/" + part;
            try
            {
                await client.CreateAsync(at, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe);
            }
            catch (NodeExistsException)
            {
            }
        }
    }

    /// <summary>Puts a foreign kazoo-style contender on an item's lock (as another process would) and returns its path.</summary>
    public static async Task<string> AddContender(ZooKeeperClient client, string path, string item, string prefix)
    {
        await EnsurePath(client, $"{path}/locks/{item}");
        return await client.CreateAsync($"{path}/locks/{item}/{prefix}__lock__", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential, Acl.OpenUnsafe);
    }

    /// <summary>The lock's contender nodes in queue order (by sequence suffix).</summary>
    public static async Task<ImmutableArray<string>> Contenders(ZooKeeperClient client, string path, string item)
    {
        try
        {
            var children = await client.GetChildrenAsync($"{path}/locks/{item}");
            return [.. children.Where(c => c.Contains("__lock__", StringComparison.Ordinal)).OrderBy(c => c[^10..], StringComparer.Ordinal)];
        }
        catch (NoNodeException)
        {
            return [];
        }
    }

    /// <summary>
    /// Plays the consumer for every member (releases whoever is in Release) until all are Acquired at once
    /// with shares that are disjoint and cover <paramref name="items"/>; returns those shares in the members' order, as
    /// they were at that instant (see <see cref="SharesWhileAcquired"/>), for the test to check rather than read again.
    /// </summary>
    public static async Task<IReadOnlyList<IReadOnlyList<string>>> Settle(
        IReadOnlyList<SetPartitioner> members, IReadOnlyCollection<string> items, TimeSpan? within = null)
    {
        IReadOnlyList<IReadOnlyList<string>>? shares = null;
        await Eventually(
            async () =>
            {
                await Task.WhenAll(members.Where(m => m.Release).Select(m => m.ReleaseSetAsync())).WaitAsync(within ?? WaitMax);
                shares = SharesWhileAcquired(members);
                return shares is not null && IsDisjointCover(shares, items);
            },
            $"every one of {string.Join(", ", members.Select(m => m.Config.Identifier))} Acquired",
            within);
        AssertDisjointCover(members.Select((m, i) => (m.Config.Identifier, shares![i])), items);
        return shares!;
    }

    /// <summary>Fails unless the shares are pairwise disjoint and together are exactly <paramref name="items"/>.</summary>
    public static void AssertDisjointCover(IEnumerable<(string Owner, IReadOnlyList<string> Items)> shares, IReadOnlyCollection<string> items)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (owner, share) in shares)
        {
            foreach (var item in share)
            {
                Assert.True(owners.TryAdd(item, owner), $"item {item} is owned by both {(owners.TryGetValue(item, out var o) ? o : "?")} and {owner}");
            }
        }

        Assert.Equal(items.Order(StringComparer.Ordinal), owners.Keys.Order(StringComparer.Ordinal));
    }

    private static bool IsDisjointCover(IEnumerable<IReadOnlyList<string>> shares, IReadOnlyCollection<string> items)
    {
        var all = shares.SelectMany(s => s).ToList();
        return all.Count == items.Count && all.ToHashSet(StringComparer.Ordinal).SetEquals(items);
    }
}
