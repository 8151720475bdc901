using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Partitioner.Core;

namespace Partitioner.Hosting;

/// <summary>
/// The hosted member's health: Healthy when Acquired, Degraded while Allocating or in Release (or connecting, or
/// Acquired but with the ZooKeeper leader not known to have heard of the session for 90 % of the session timeout,
/// when it claims no items), Unhealthy in Failure or once the service has stopped. The data holds <c>state</c>,
/// <c>items</c> (how many it owns) and <c>sinceLastConfirmedReply</c> (a <see cref="TimeSpan"/>).
/// </summary>
/// <remarks>Register it with <c>services.AddHealthChecks().AddCheck&lt;SetPartitionerHealthCheck&gt;("partitioner")</c>.</remarks>
public sealed class SetPartitionerHealthCheck : IHealthCheck
{
    /// <summary>The data key of the member's state.</summary>
    public const string StateKey = "state";

    /// <summary>The data key of how many items the member owns.</summary>
    public const string ItemsKey = "items";

    /// <summary>The data key of the time since the member's latest confirmed reply from ZooKeeper.</summary>
    public const string SinceLastConfirmedReplyKey = "sinceLastConfirmedReply";

    private readonly SetPartitionerService _service;

    /// <summary>Creates the check over the host's member.</summary>
    /// <param name="service">The hosted member.</param>
    public SetPartitionerHealthCheck(SetPartitionerService service)
    {
        ArgumentNullException.ThrowIfNull(service);
        _service = service;
    }

    /// <inheritdoc />
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var partitioner = _service.Partitioner;
        if (partitioner is null)
        {
            return Task.FromResult(_service.Stopped
                ? HealthCheckResult.Unhealthy("The member stopped before it joined the party.", _service.Fault)
                : HealthCheckResult.Degraded("Connecting to ZooKeeper."));
        }

        // Read once: the state may change between the reads, and Acquired is false when the member claims nothing.
        var state = partitioner.State;
        var items = partitioner.AcquiredItems.Count;
        var silence = partitioner.SinceLastConfirmedReply;
        return Task.FromResult(Judge(state, partitioner.Acquired, items, silence, partitioner.FailureReason, _service.Stopped));
    }

    /// <summary>The verdict for one reading of the member.</summary>
    internal static HealthCheckResult Judge(
        PartitionState state, bool claimsItems, int items, TimeSpan sinceLastConfirmedReply, string? failureReason, bool stopped)
    {
        var data = new Dictionary<string, object>
        {
            [StateKey] = state.ToString(),
            [ItemsKey] = items,
            [SinceLastConfirmedReplyKey] = sinceLastConfirmedReply,
        };
        var silence = sinceLastConfirmedReply.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
        return state switch
        {
            PartitionState.Acquired when claimsItems => HealthCheckResult.Healthy($"Acquired {items} items.", data),
            PartitionState.Acquired => HealthCheckResult.Degraded(
                $"Acquired, but no confirmed reply from ZooKeeper for {silence} s: the session may have expired, so the member claims no items.",
                data: data),
            PartitionState.Allocating => HealthCheckResult.Degraded("Allocating: waiting for the party to settle, or taking locks.", data: data),
            PartitionState.Release => HealthCheckResult.Degraded("Release: the party changed; the work is stopping to hand items on.", data: data),
            _ when stopped && failureReason is null => HealthCheckResult.Unhealthy("The member left the party (the host stopped it).", data: data),
            _ => HealthCheckResult.Unhealthy($"Failure: {failureReason ?? "the member left the party"}.", data: data),
        };
    }
}
