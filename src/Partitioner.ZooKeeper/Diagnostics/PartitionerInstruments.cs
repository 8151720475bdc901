using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Partitioner.ZooKeeper.Diagnostics;

/// <summary>
/// The partitioner's metrics and spans, named after OpenTelemetry's conventions (dotted lowercase names, units in
/// UCUM, durations in seconds). One set of instruments per <see cref="Meter"/>: the static one, or one per
/// <see cref="IMeterFactory"/> (the factory caches its meters, so every member of a host shares them).
/// </summary>
public sealed class PartitionerInstruments
{
    /// <summary>The name of the meter and of the activity source: "Partitioner".</summary>
    public const string Name = "Partitioner";

    private static readonly ConditionalWeakTable<Meter, PartitionerInstruments> ByMeter = new();
    private static readonly Lazy<PartitionerInstruments> Static = new(() => For(new Meter(Name)));

    private PartitionerInstruments(Meter meter)
    {
        Meter = meter;
        ItemsOwned = meter.CreateUpDownCounter<long>("partitioner.items.owned", "{item}", "Items the members hold, counted while they are Acquired.");
        Members = meter.CreateUpDownCounter<long>("partitioner.members", "{member}", "Members in each state (attribute partitioner.state).");
        Rebalances = meter.CreateCounter<long>("partitioner.rebalances", "{rebalance}", "Times a member went from Acquired to Release: the party changed.");
        RebalanceDuration = meter.CreateHistogram<double>("partitioner.rebalance.duration", "s", "From leaving Acquired for Release to Acquired again (or Failure).");
        AllocationDuration = meter.CreateHistogram<double>("partitioner.allocation.duration", "s", "From entering Allocating to leaving it (attribute partitioner.outcome: acquired, aborted or failed).");
        AcquireDuration = meter.CreateHistogram<double>("partitioner.acquire.duration", "s", "From the member's start to its first Acquired.");
        LockWaits = meter.CreateCounter<long>("partitioner.lock.waits", "{wait}", "Times a member found another member's lock node ahead of its own and waited for it to go.");
        LockWaitDuration = meter.CreateHistogram<double>("partitioner.lock.wait.duration", "s", "How long each wait lasted (attribute partitioner.outcome: released, or abandoned when the allocation ended first).");
    }

    /// <summary>The source of the <c>partitioner.allocation</c> and <c>partitioner.rebalance</c> spans.</summary>
    public static ActivitySource ActivitySource { get; } = new(Name);

    /// <summary>The meter the instruments belong to.</summary>
    internal Meter Meter { get; }

    internal UpDownCounter<long> ItemsOwned { get; }

    internal UpDownCounter<long> Members { get; }

    internal Counter<long> Rebalances { get; }

    internal Histogram<double> RebalanceDuration { get; }

    internal Histogram<double> AllocationDuration { get; }

    internal Histogram<double> AcquireDuration { get; }

    internal Counter<long> LockWaits { get; }

    internal Histogram<double> LockWaitDuration { get; }

    /// <summary>The instruments on the factory's "Partitioner" meter, or on the static one when there is no factory.</summary>
    internal static PartitionerInstruments Get(IMeterFactory? factory) =>
        factory is null ? Static.Value : For(factory.Create(new MeterOptions(Name)));

    private static PartitionerInstruments For(Meter meter) => ByMeter.GetValue(meter, static m => new PartitionerInstruments(m));
}
