using Microsoft.Extensions.Diagnostics.HealthChecks;
using Partitioner.Core;
using Partitioner.Hosting;

namespace Partitioner.Integration.Hosting;

/// <summary>The health check's verdict for each state of the member, and the data it carries.</summary>
public sealed class HealthVerdictTests
{
    [Theory]
    [InlineData(PartitionState.Acquired, true, HealthStatus.Healthy)]
    [InlineData(PartitionState.Acquired, false, HealthStatus.Degraded)]
    [InlineData(PartitionState.Allocating, false, HealthStatus.Degraded)]
    [InlineData(PartitionState.Release, false, HealthStatus.Degraded)]
    [InlineData(PartitionState.Failure, false, HealthStatus.Unhealthy)]
    public void Judge_MapsTheStateToItsStatus(PartitionState state, bool claimsItems, HealthStatus expected)
    {
        var result = SetPartitionerHealthCheck.Judge(state, claimsItems, claimsItems ? 3 : 0, TimeSpan.FromMilliseconds(250), null, stopped: false);
        Assert.Equal(expected, result.Status);
        Assert.Equal(state.ToString(), result.Data[SetPartitionerHealthCheck.StateKey]);
        Assert.Equal(claimsItems ? 3 : 0, result.Data[SetPartitionerHealthCheck.ItemsKey]);
        Assert.Equal(TimeSpan.FromMilliseconds(250), result.Data[SetPartitionerHealthCheck.SinceLastConfirmedReplyKey]);
    }

    [Fact]
    public void Judge_AcquiredButSilent_SaysHowLongTheMemberHasNotHeardFromZooKeeper()
    {
        var result = SetPartitionerHealthCheck.Judge(PartitionState.Acquired, false, 0, TimeSpan.FromSeconds(7.5), null, stopped: false);
        Assert.Equal("Acquired, but no confirmed reply from ZooKeeper for 7.500 s: the session may have expired, so the member claims no items.", result.Description);
    }

    [Fact]
    public void Judge_FailureWithAReason_GivesTheReason()
    {
        var result = SetPartitionerHealthCheck.Judge(PartitionState.Failure, false, 0, TimeSpan.Zero, "session expired", stopped: false);
        Assert.Equal("Failure: session expired.", result.Description);
    }
}
