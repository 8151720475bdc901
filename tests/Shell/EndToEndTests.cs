using Partitioner.Core;
using Partitioner.ZooKeeper;
using static Partitioner.Tests.Shell.Waits;

namespace Partitioner.Tests.Shell;

/// <summary>The shell running Core's real decider against a small in-memory ZooKeeper.</summary>
public sealed class EndToEndTests
{
    private readonly TreeParty _party = new();

    [Fact]
    public void OneMember_AfterTheTimeBoundary_AcquiresEveryItemWithKazoosNodes()
    {
        // Given one member of a party over a, b and c.
        var (partitioner, _) = Join("member-1");
        Assert.True(partitioner.Allocating);

        // When the party has been stable for the time boundary.
        _party.Settle(() => partitioner.Acquired);

        // Then it owns every item, through kazoo's znodes: its party node and one lock node per item.
        Assert.Equal(["a", "b", "c"], partitioner.AcquiredItems);
        Assert.Equal([$"{TreeParty.Prefix(1)}-member-1"], _party.Tree.ChildrenOf("/party/party"));
        foreach (var item in new[] { "a", "b", "c" })
        {
            Assert.Matches($"^{TreeParty.Prefix(1)}__lock__\\d{{10}}$", Assert.Single(_party.Tree.ChildrenOf($"/party/locks/{item}")));
        }
    }

    [Fact]
    public void TwoMembers_SplitTheItemsRoundRobinBySortedIdentifier()
    {
        var (first, _) = Join("0");
        var (second, _) = Join("1");

        _party.Settle(() => first.Acquired && second.Acquired);

        Assert.Equal(["a", "c"], first.AcquiredItems);
        Assert.Equal(["b"], second.AcquiredItems);
    }

    [Fact]
    public async Task RunAsync_WhenAMemberJoins_StopsTheWorkReleasesAndWorksOnTheNewShare()
    {
        // Given a member working on all three items through the convenience loop.
        var (first, _) = Join("0");
        var shares = new List<string>();
        using var stop = new CancellationTokenSource();
        var running = first.RunAsync(
            async (items, token) =>
            {
                lock (shares)
                {
                    shares.Add(string.Join(",", items));
                }

                var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                using (token.Register(stopped.SetResult))
                {
                    await stopped.Task;
                }
            },
            stop.Token);
        _party.Settle(() => first.Acquired);
        await WaitUntil(() => Count(shares) == 1);

        // When a second member joins.
        var (second, _) = Join("1");
        await WaitUntil(() => first.Allocating);
        _party.Settle(() => first.Acquired && second.Acquired);
        await WaitUntil(() => Count(shares) == 2);

        // Then the first member's work was stopped and restarted on its new share.
        Assert.Equal(["a,b,c", "a,c"], shares);
        Assert.Equal(["b"], second.AcquiredItems);

        // And when the loop is stopped, the member leaves the party, freeing its items.
        await stop.CancelAsync();
        await running.WaitAsync(HangGuard);
        Assert.True(first.Failed);
        Assert.Equal([$"{TreeParty.Prefix(2)}-1"], _party.Tree.ChildrenOf("/party/party"));
    }

    [Fact]
    public async Task FinishAsync_DeletesThePartyNodeAndTheLockNodes()
    {
        var (partitioner, _) = Join("member-1");
        _party.Settle(() => partitioner.Acquired);

        await partitioner.FinishAsync().WaitAsync(HangGuard);

        Assert.True(partitioner.Failed);
        Assert.Empty(_party.Tree.ChildrenOf("/party/party"));
        Assert.All(new[] { "a", "b", "c" }, item => Assert.Empty(_party.Tree.ChildrenOf($"/party/locks/{item}")));
    }

    [Fact]
    public async Task RunAsync_WhenTheSessionExpires_ThrowsPartitionerFailedException()
    {
        var (partitioner, port) = Join("member-1");
        var running = partitioner.RunAsync((_, token) => Task.Delay(Timeout.Infinite, token), CancellationToken.None);
        _party.Settle(() => partitioner.Acquired);

        port.Expire();

        var error = await Assert.ThrowsAsync<PartitionerFailedException>(() => running.WaitAsync(HangGuard));
        Assert.False(string.IsNullOrEmpty(error.Reason));
        Assert.True(partitioner.Failed);
    }

    [Fact]
    public async Task EventLog_OfARealRun_ReplaysThroughCoreExactly()
    {
        // Given two members, the first recording its decisions, through acquisition, a release and a finish.
        var writer = new StringWriter();
        var (first, _) = Join("0", new JsonLinesEventLogSink(writer));
        _party.Settle(() => first.Acquired);
        var (second, _) = Join("1");
        _party.Settle(() => first.Release);
        await first.ReleaseSetAsync().WaitAsync(HangGuard);
        _party.Settle(() => first.Acquired && second.Acquired);
        await first.FinishAsync().WaitAsync(HangGuard);

        // When the log is replayed by the public replayer, which runs Core's decider.
        var result = new EventLogReplayer().Replay(new StringReader(writer.ToString()));

        // Then Core made every decision again exactly, through the same states.
        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Equal(
            [PartitionState.Allocating, PartitionState.Acquired, PartitionState.Release, PartitionState.Allocating, PartitionState.Acquired, PartitionState.Failure],
            result.Timeline.Select(t => t.State));
    }

    [Fact]
    public async Task EventLog_OfARunWithADigestAcl_HoldsNoPasswordHash_AndStillReplaysExactly()
    {
        // Given a member whose nodes carry a digest ACL (the id holds base64(sha1(user:password))).
        const string hash = "p9bbBoCvLBnnL4lSL2A0Ag4wqBE=";
        var writer = new StringWriter();
        var (member, _) = Join("0", new JsonLinesEventLogSink(writer), PartyAcl.ForIdentities([("digest", "worker:" + hash)]));
        _party.Settle(() => member.Acquired);
        await member.FinishAsync().WaitAsync(HangGuard);
        var log = writer.ToString();

        // When the log is read and replayed.
        var result = new EventLogReplayer().Replay(new StringReader(log));

        // Then it names the user but not the hash, and Core's decisions replay exactly from the redacted header.
        Assert.DoesNotContain(hash, log, StringComparison.Ordinal);
        Assert.Contains("\"digest:worker:(not logged):cdr\"", log, StringComparison.Ordinal);
        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Equal(PartitionState.Failure, result.Timeline[^1].State);
    }

    [Fact]
    public async Task TwoMembers_WithOneRequestInFlightEach_ShareTwentyItems_AndFinishLeavingNoNode()
    {
        // Given two members that may each have one request out at once, with one op per multi, so that Core's every
        // batch of lock work waits in the shell behind the request before it.
        string[] items = [.. Enumerable.Range(0, 20).Select(i => $"item-{i:D2}")];
        var (first, _) = Join("0", items: items, tuning: o => (o.BatchSize, o.RequestsInFlightMax) = (1, 1));
        var (second, _) = Join("1", items: items, tuning: o => (o.BatchSize, o.RequestsInFlightMax) = (1, 1));

        // When the party is stable, and then both finish.
        _party.Settle(() => first.Acquired && second.Acquired);
        var shares = (first.AcquiredItems.ToList(), second.AcquiredItems.ToList());
        await Task.WhenAll(first.FinishAsync(), second.FinishAsync()).WaitAsync(HangGuard);

        // Then they had split the items round-robin, and finishing deleted every node they created.
        Assert.Equal(items.Where((_, i) => i % 2 == 0), shares.Item1);
        Assert.Equal(items.Where((_, i) => i % 2 == 1), shares.Item2);
        Assert.Empty(_party.Tree.ChildrenOf("/party/party"));
        Assert.All(items, item => Assert.Empty(_party.Tree.ChildrenOf($"/party/locks/{item}")));
    }

    private (SetPartitioner Partitioner, TreePort Port) Join(
        string identifier, IEventLogSink? log = null, PartyAcl? acl = null, string[]? items = null, Action<SetPartitionerOptions>? tuning = null) =>
        _party.Join(identifier, items, options =>
        {
            options.EventLog = log;
            options.Acl = acl ?? PartyAcl.OpenUnsafe;
            tuning?.Invoke(options);
        });

    private static int Count(List<string> shares)
    {
        lock (shares)
        {
            return shares.Count;
        }
    }
}
