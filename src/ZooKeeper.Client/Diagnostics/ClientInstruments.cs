using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace ZooKeeper.Client.Diagnostics;

/// <summary>
/// The client's metrics, named after OpenTelemetry's conventions (dotted lowercase names, UCUM units, durations in
/// seconds, the operation as <c>zookeeper.operation</c> and a failure's code as <c>error.type</c>). One set per
/// <see cref="Meter"/>: the static one, or the "ZooKeeper.Client" meter of an <see cref="IMeterFactory"/>.
/// </summary>
public sealed class ClientInstruments
{
    /// <summary>The meter's name: "ZooKeeper.Client".</summary>
    public const string MeterName = "ZooKeeper.Client";

    private static readonly ConditionalWeakTable<Meter, ClientInstruments> ByMeter = new();
    private static readonly Lazy<ClientInstruments> Static = new(() => For(new Meter(MeterName)));

    private ClientInstruments(Meter meter)
    {
        Meter = meter;
        Requests = meter.CreateCounter<long>("zookeeper.client.requests", "{request}", "Requests sent to the server, by operation.");
        RequestsInFlight = meter.CreateUpDownCounter<long>("zookeeper.client.requests.in_flight", "{request}", "Requests sent and not yet answered, by operation.");
        RequestsFailed = meter.CreateCounter<long>("zookeeper.client.requests.failed", "{request}", "Requests that failed, by operation and error.type (the ZooKeeper error code, ConnectionLoss for a dropped connection).");
        RequestDuration = meter.CreateHistogram<double>("zookeeper.client.request.duration", "s", "Round-trip time from sending a request to reading its reply, by operation.");
        Reconnects = meter.CreateCounter<long>("zookeeper.client.reconnects", "{reconnect}", "Times a session connected again after losing its connection.");
        Disconnects = meter.CreateCounter<long>("zookeeper.client.disconnects", "{disconnect}", "Connections lost while the session was open (the reason is logged).");
        Sessions = meter.CreateUpDownCounter<long>("zookeeper.client.sessions", "{session}", "Open clients by zookeeper.session.state: connecting, connected or suspended.");
        Expirations = meter.CreateCounter<long>("zookeeper.client.session.expirations", "{session}", "Sessions the server expired.");
    }

    /// <summary>The meter the instruments belong to.</summary>
    internal Meter Meter { get; }

    internal Counter<long> Requests { get; }

    internal UpDownCounter<long> RequestsInFlight { get; }

    internal Counter<long> RequestsFailed { get; }

    internal Histogram<double> RequestDuration { get; }

    internal Counter<long> Reconnects { get; }

    internal Counter<long> Disconnects { get; }

    internal UpDownCounter<long> Sessions { get; }

    internal Counter<long> Expirations { get; }

    /// <summary>The instruments on the factory's "ZooKeeper.Client" meter, or on the static one when there is no factory.</summary>
    internal static ClientInstruments Get(IMeterFactory? factory) =>
        factory is null ? Static.Value : For(factory.Create(new MeterOptions(MeterName)));

    private static ClientInstruments For(Meter meter) => ByMeter.GetValue(meter, static m => new ClientInstruments(m));
}
