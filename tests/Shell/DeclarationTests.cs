using Partitioner.Core;
using Partitioner.ZooKeeper;
using static Partitioner.Tests.Shell.Waits;

namespace Partitioner.Tests.Shell;

/// <summary>
/// The cooperative members' check of the party's declarations, as the shell runs it: the member loop sends Core's
/// reads of the party nodes' data through the port, and an event log of a cooperative member replays. Core's real
/// decider against the simulator's in-memory ZooKeeper; items a, b, c split round-robin by sorted identifier.
/// </summary>
public sealed class DeclarationTests
{
    private readonly TreeParty _party = new();

    [Fact]
    public async Task CooperativeMember_BesideAnEagerOne_FailsNamingIt_AndTheEagerOneTakesEveryItem()
    {
        var eager = Join("0", RebalanceMode.Eager);
        await _party.SettleAsync(() => eager.Acquired);

        var cooperative = Join("1", RebalanceMode.Cooperative);
        await _party.SettleAsync(() => cooperative.Failed);
        await _party.SettleAsync(() =>
        {
            if (eager.Release)
            {
                eager.ReleaseSetAsync();
            }

            return eager.Acquired && eager.AcquiredItems.Count == 3;
        });

        Assert.StartsWith("member \"0\" of /party declares nothing (an eager member of this library, or a kazoo member); this member is cooperative", cooperative.FailureReason, StringComparison.Ordinal);
        Assert.Equal(["a", "b", "c"], eager.AcquiredItems);
    }

    [Fact]
    public async Task EventLog_OfACooperativeMemberThroughAJoinAndARevocation_Replays()
    {
        var writer = new StringWriter();
        var first = Join("0", RebalanceMode.Cooperative, new JsonLinesEventLogSink(writer));
        await _party.SettleAsync(() => first.AcquiredItems.Count == 3);

        var second = Join("1", RebalanceMode.Cooperative);
        await _party.SettleAsync(() => second.AcquiredItems.Count == 1 && first.AcquiredItems.Count == 2);
        Assert.Equal(["a", "c"], first.AcquiredItems);
        await first.DisposeAsync().AsTask().WaitAsync(HangGuard);
        string log = writer.ToString();

        var result = new EventLogReplayer().Replay(new StringReader(log));

        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Contains("{\"type\":\"MultiGetData\",", log, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"DataCompleted\",", log, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"StopItemWork\",", log, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"ItemWorkStopped\",", log, StringComparison.Ordinal);
        Assert.Equal(RebalanceMode.Cooperative, result.Config.Rebalance);
    }

    private SetPartitioner Join(string identifier, RebalanceMode mode, IEventLogSink? log = null) =>
        _party.Join(identifier, tuning: options =>
        {
            options.Rebalance = mode;
            options.EventLog = log;
        }).Partitioner;
}
