using Partitioner.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Partitioner.Hosting;
using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;
using static Partitioner.Integration.Hosting.HostedMemberKit;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Hosting;

/// <summary>A member run by a .NET host against the real server: its work from DI, its stop, and its health check.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class HostedMemberTests(ZooKeeperServerFixture server)
{
    private static readonly string[] Items = ["queue-a", "queue-b", "queue-c", "queue-d"];

    [Fact]
    public async Task HostStop_CancelsTheWork_ReleasesEveryLock_AndRemovesThePartyNode_BeforeTheStopReturns()
    {
        var path = server.UniqueRoot("hosted-stop");
        var log = new WorkLog();
        using var host = Build(Settings(server.ConnectString, path, Items, "hosted-1"), log);
        await using var observer = await Connect(server.ConnectString);
        await host.StartAsync();
        await Eventually(() => log.Latest?.Items?.Count == Items.Length, "the work to be given all four items");
        Assert.Single(await observer.GetChildrenAsync($"{path}/party"));
        foreach (var item in Items)
        {
            Assert.Single(await observer.GetChildrenAsync($"{path}/locks/{item}"));
        }

        using (var shutdown = new CancellationTokenSource(ShutdownTimeout))
        {
            await host.StopAsync(shutdown.Token);
        }

        // The service ran to its end inside the stop (a stop cut short by the shutdown timeout leaves it running),
        // and the host has not been disposed: its session is still open, so the nodes were deleted by the member.
        var service = host.Services.GetRequiredService<SetPartitionerService>();
        Assert.True(service.Stopped, "the hosted member had not finished when the host's stop returned");
        Assert.Null(service.Fault);
        var work = Assert.Single(log.Instances);
        Assert.True(work.Cancelled && work.Returned && work.Disposed, "the work was not cancelled, returned and disposed");
        var client = await host.Services.GetRequiredService<ZooKeeperConnection>().GetClientAsync();
        Assert.Equal(ZooKeeperState.Connected, client.State);
        Assert.Empty(await observer.GetChildrenAsync($"{path}/party"));
        foreach (var item in Items)
        {
            Assert.Empty(await observer.GetChildrenAsync($"{path}/locks/{item}"));
        }
    }

    [Fact]
    public async Task HostedMember_WithDigestAuthAndCreatorAll_MakesAPartyAStrangerCannotTouch()
    {
        // The security settings reach the hosted member's session and nodes as they reach a SetPartitioner in code.
        var member = AuthInfo.Digest("hosted", "hosted-pw");
        var path = server.UniqueRoot("hosted-acl") + "/p";
        var log = new WorkLog();
        using var host = Build(Settings(server.ConnectString, path, Items, "hosted-acl-1"), log, options =>
        {
            options.Auth = [member];
            options.Acl = PartyAcl.CreatorAll;
        });
        await host.StartAsync();
        try
        {
            await Eventually(() => log.Latest?.Items?.Count == Items.Length, "the work to be given all four items");
            await using var owner = await Connect(server.ConnectString, null, member);
            var holder = Assert.Single(await owner.GetChildrenAsync($"{path}/locks/queue-a"));
            await using var stranger = await Connect(server.ConnectString);
            await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetChildrenAsync($"{path}/party"));
            await Assert.ThrowsAsync<NoAuthException>(() => stranger.DeleteAsync($"{path}/locks/queue-a/{holder}"));
            Assert.Single(await owner.GetChildrenAsync($"{path}/locks/queue-a"));
        }
        finally
        {
            using var shutdown = new CancellationTokenSource(ShutdownTimeout);
            await host.StopAsync(shutdown.Token);
        }
    }

    [Fact]
    public async Task HealthCheck_FollowsTheMember_AllocatingDegraded_AcquiredHealthy_ReleaseDegraded_StoppedUnhealthy()
    {
        var path = server.UniqueRoot("hosted-health");
        var firstLog = new WorkLog { HoldAfterCancel = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var slowStart = Settings(server.ConnectString, path, Items, "health-1");
        slowStart["Partitioner:TimeBoundary"] = "00:00:03";
        using var first = Build(slowStart, firstLog);
        await first.StartAsync();

        // Within the 3 s time boundary the member waits for the party to settle.
        var allocating = await Entry(first, "Allocating");
        Assert.Equal(HealthStatus.Degraded, allocating.Status);
        Assert.Equal(0, allocating.Data[SetPartitionerHealthCheck.ItemsKey]);

        var acquired = await Entry(first, "Acquired", HealthStatus.Healthy);
        Assert.Equal(4, acquired.Data[SetPartitionerHealthCheck.ItemsKey]);
        var silence = Assert.IsType<TimeSpan>(acquired.Data[SetPartitionerHealthCheck.SinceLastConfirmedReplyKey]);
        Assert.InRange(silence, TimeSpan.Zero, TimeSpan.FromSeconds(5.4)); // within 90 % of the 6 s session, or it would not claim the items

        // A second member joins; the first one's work holds on after its token is cancelled, so it stays in Release.
        var secondLog = new WorkLog();
        using var second = Build(Settings(server.ConnectString, path, Items, "health-2"), secondLog);
        await second.StartAsync();
        var release = await Entry(first, "Release");
        Assert.Equal(HealthStatus.Degraded, release.Status);
        Assert.Equal(0, release.Data[SetPartitionerHealthCheck.ItemsKey]);

        firstLog.HoldAfterCancel.SetResult();
        var shared = await Entry(first, "Acquired", HealthStatus.Healthy);
        Assert.Equal(2, shared.Data[SetPartitionerHealthCheck.ItemsKey]);
        await Entry(second, "Acquired", HealthStatus.Healthy);

        // Each acquisition got its own work from its own scope, and the first scope was disposed.
        Assert.Equal(2, firstLog.Instances.Count);
        Assert.True(firstLog.Instances[0].Disposed);
        Assert.Equal(2, firstLog.Instances[1].Items!.Count);

        await second.StopAsync();
        await first.StopAsync();
        var stopped = await Entry(first, "Failure");
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
    }

    [Fact]
    public async Task HealthCheck_BeforeTheHostStarts_IsDegradedConnecting()
    {
        using var host = Build(Settings(server.ConnectString, server.UniqueRoot("hosted-unstarted"), Items, "unstarted"));
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        var entry = report.Entries["partitioner"];
        Assert.Equal(HealthStatus.Degraded, entry.Status);
        Assert.Equal("Connecting to ZooKeeper.", entry.Description);
    }

    /// <summary>Polls the host's health report until the check's state is <paramref name="state"/>.</summary>
    /// <summary>
    /// Waits for the health check to report <paramref name="state"/> (with <paramref name="status"/>, when given).
    /// An Acquired member reports Degraded while its claims lapse (a loaded machine can delay the syncs that prove its
    /// session alive), so a test that wants Healthy waits for it rather than taking the first Acquired reading.
    /// </summary>
    private static async Task<HealthReportEntry> Entry(IHost host, string state, HealthStatus? status = null)
    {
        var health = host.Services.GetRequiredService<HealthCheckService>();
        HealthReportEntry entry = default;
        await Eventually(
            async () =>
            {
                entry = (await health.CheckHealthAsync()).Entries["partitioner"];
                return entry.Data.TryGetValue(SetPartitionerHealthCheck.StateKey, out var s) && (string)s == state && (status is null || entry.Status == status);
            },
            $"the health check to report {state} {status} (last: {entry.Status} {entry.Description})");
        return entry;
    }
}
