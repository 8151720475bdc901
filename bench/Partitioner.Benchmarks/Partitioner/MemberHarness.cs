using System.Globalization;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Adapter;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// One benchmark member: its own client (session), a counting port over the real adapter, an
/// <see cref="AllocationClock"/>, and the standard consumer reaction (release at once when asked).
/// </summary>
internal sealed class MemberHarness : IAsyncDisposable
{
    private MemberHarness(ZooKeeperClient client, CountingPort port, AllocationClock clock)
    {
        Client = client;
        Port = port;
        Clock = clock;
    }

    public ZooKeeperClient Client { get; }

    public CountingPort Port { get; }

    public AllocationClock Clock { get; }

    public SetPartitioner? Member { get; private set; }

    /// <summary>Connects a client; the partitioner is started later by <see cref="Start"/>, so the connect is never timed.</summary>
    public static async Task<MemberHarness> ConnectAsync(string connectString, Action? onAcquired = null, bool trace = false)
    {
        var options = new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), FrameBytesMax = 16 << 20 };
        var client = await ZooKeeperClient.ConnectAsync(connectString, options);
        var port = new CountingPort(new ZooKeeperClientPort(client));
        var clock = new AllocationClock(() => port.Counts, onAcquired) { Trace = trace ? [] : null };
        return new MemberHarness(client, port, clock);
    }

    /// <summary>Creates and starts the member; on Release it releases at once, as a consumer with no work to stop would.</summary>
    public SetPartitioner Start(string path, IReadOnlyList<string> items, string identifier, TimeSpan timeBoundary, int? batchSize = null)
    {
        var member = new SetPartitioner(Port, path, items, new SetPartitionerOptions
        {
            Identifier = identifier,
            TimeBoundary = timeBoundary,
            EventLog = Clock,
            TimeProvider = Client.TimeProvider,
            BatchSize = batchSize ?? new SetPartitionerOptions().BatchSize,
        });
        member.StateChanged += (_, change) =>
        {
            if (change.NewState == PartitionState.Release)
            {
                _ = member.ReleaseSetAsync();
            }
        };
        Member = member;
        return member;
    }

    /// <summary>Waits for Acquired; a member that does not get there is an error that names its state.</summary>
    public async Task WaitAcquiredAsync(TimeSpan timeout)
    {
        var member = Member ?? throw new InvalidOperationException("The member was not started.");
        if (!await member.WaitForAcquireAsync(timeout))
        {
            throw new InvalidOperationException(
                $"Member {member.Config.Identifier} is {member.State} after {timeout.TotalSeconds.ToString(CultureInfo.InvariantCulture)} s"
                + (member.FailureReason is { } reason ? $": {reason}" : "."));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Member is { } member)
        {
            await member.DisposeAsync();
        }

        await Client.DisposeAsync();
    }

    /// <summary>Items named "0", "1", ... as kazoo_bench.py names them.</summary>
    public static string[] Items(int count) =>
        [.. Enumerable.Range(0, count).Select(i => i.ToString(CultureInfo.InvariantCulture))];
}
