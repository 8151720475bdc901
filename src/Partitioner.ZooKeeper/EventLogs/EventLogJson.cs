using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// The event log's JSON, written and read by System.Text.Json from <see cref="EventLogJsonContext"/>: the header, and
/// one object per decision with its event, state and commands. Commands and events carry a "type" discriminator (the
/// record's name), their fields in the order of the record's constructor; byte data is base64, durations are invariant
/// "c" strings (exact to the tick), enums are their names. The replayer writes its own results through the same
/// options, so comparing two texts compares two decisions.
/// </summary>
/// <remarks>
/// Core's records carry no serialization attributes: the log is the shell's format, so its contract (the
/// discriminators, the field order, which fields may be left out) is added here, by <see cref="Contract"/>, to the
/// metadata the source generator wrote. Core stays free of any knowledge of how its decisions are stored.
/// </remarks>
internal static class EventLogJson
{
    /// <summary>The header's "format" value.</summary>
    public const string FormatName = "partitioner-event-log";

    /// <summary>The format version this code writes and reads.</summary>
    /// <remarks>Version 2 added the ACL of every create and the configuration's ACLs.</remarks>
    public const int Version = 2;

    /// <summary>What a digest id's password hash is written as: an event log never holds anything derived from a password.</summary>
    public const string RedactedDigest = "(not logged)";

    /// <summary>The name of the property that says which record an event, command or write is.</summary>
    public const string TypeProperty = "type";

    /// <summary>Every event the log can hold, by the name it is written with.</summary>
    public static IReadOnlyList<JsonDerivedType> EventTypes { get; } =
    [
        new(typeof(CreateCompleted), nameof(CreateCompleted)),
        new(typeof(DeleteCompleted), nameof(DeleteCompleted)),
        new(typeof(ChildrenCompleted), nameof(ChildrenCompleted)),
        new(typeof(ExistsCompleted), nameof(ExistsCompleted)),
        new(typeof(MultiCompleted), nameof(MultiCompleted)),
        new(typeof(MultiReadCompleted), nameof(MultiReadCompleted)),
        new(typeof(StatsCompleted), nameof(StatsCompleted)),
        new(typeof(DataCompleted), nameof(DataCompleted)),
        new(typeof(WatchFired), nameof(WatchFired)),
        new(typeof(TimerFired), nameof(TimerFired)),
        new(typeof(SessionSuspended), nameof(SessionSuspended)),
        new(typeof(SessionReconnected), nameof(SessionReconnected)),
        new(typeof(SessionExpired), nameof(SessionExpired)),
        new(typeof(SessionAuthFailed), nameof(SessionAuthFailed)),
        new(typeof(ReleaseRequested), nameof(ReleaseRequested)),
        new(typeof(FinishRequested), nameof(FinishRequested)),
        new(typeof(ItemWorkStopped), nameof(ItemWorkStopped)),
    ];

    /// <summary>Every command the log can hold, by the name it is written with.</summary>
    public static IReadOnlyList<JsonDerivedType> CommandTypes { get; } =
    [
        new(typeof(CreateNode), nameof(CreateNode)),
        new(typeof(DeleteNode), nameof(DeleteNode)),
        new(typeof(GetChildren), nameof(GetChildren)),
        new(typeof(Exists), nameof(Exists)),
        new(typeof(Multi), nameof(Multi)),
        new(typeof(MultiGetChildren), nameof(MultiGetChildren)),
        new(typeof(MultiGetStat), nameof(MultiGetStat)),
        new(typeof(MultiGetData), nameof(MultiGetData)),
        new(typeof(StartTimer), nameof(StartTimer)),
        new(typeof(CancelTimer), nameof(CancelTimer)),
        new(typeof(StopItemWork), nameof(StopItemWork)),
    ];

    /// <summary>The writes of a <see cref="Multi"/>, by the name they are written with.</summary>
    public static IReadOnlyList<JsonDerivedType> WriteOpTypes { get; } = [new(typeof(CreateOp), "create"), new(typeof(DeleteOp), "delete")];

    /// <summary>The names of <see cref="EventTypes"/>, so that an unknown one is named before the serializer sees it.</summary>
    public static IReadOnlySet<string> EventTypeNames { get; } = EventTypes.Select(t => (string)t.TypeDiscriminator!).ToHashSet(StringComparer.Ordinal);

    /// <summary>The options every log line is written and read with: the generated metadata with the log's contract.</summary>
    public static JsonSerializerOptions Options { get; } = new(EventLogJsonContext.Default.Options)
    {
        TypeInfoResolver = EventLogJsonContext.Default.WithAddedModifier(Contract),
    };

    public static JsonTypeInfo<HeaderLine<LoggedConfig>> Header { get; } = TypeInfo<HeaderLine<LoggedConfig>>();

    public static JsonTypeInfo<HeaderLine<JsonElement?>> HeaderRead { get; } = TypeInfo<HeaderLine<JsonElement?>>();

    public static JsonTypeInfo<LoggedConfig> Config { get; } = TypeInfo<LoggedConfig>();

    public static JsonTypeInfo<DecisionLine> Decision { get; } =
        TypeInfo<DecisionLine>();

    public static JsonTypeInfo<Event> Event { get; } = TypeInfo<Event>();

    public static JsonTypeInfo<LoggedState> State { get; } = TypeInfo<LoggedState>();

    public static JsonTypeInfo<ImmutableArray<Command>> Commands { get; } = TypeInfo<ImmutableArray<Command>>();

    public static JsonTypeInfo<JsonElement> Element { get; } = TypeInfo<JsonElement>();

    /// <summary>The header line's object for <paramref name="config"/>.</summary>
    public static HeaderLine<LoggedConfig> HeaderOf(PartitionerConfig config) =>
        new(FormatName, Version, new LoggedConfig(
            config.Path, config.Items, config.Identifier, config.ContenderPrefix, config.TimeBoundary, config.MaxReactionTime,
            config.PartitionFunctionName, config.BatchSize, config.Acl,
            config.Rebalance == RebalanceMode.Eager ? null : config.Rebalance));

    /// <summary>A decision line's object.</summary>
    public static DecisionLine DecisionOf(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands) =>
        new(seq, @event, LoggedState.Of(state), commands.IsDefault ? [] : commands);

    /// <summary>The compact text of <paramref name="value"/>, as a log line holds it.</summary>
    public static string ToJson<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.Serialize(value, typeInfo);

    /// <summary>The entry as an event log holds it: a digest id keeps its user and loses its hash.</summary>
    public static AclEntry Redacted(AclEntry entry)
    {
        if (entry.Scheme != "digest")
        {
            return entry;
        }

        int colon = entry.Id.IndexOf(':', StringComparison.Ordinal);
        return entry with { Id = (colon < 0 ? entry.Id : entry.Id[..colon]) + ":" + RedactedDigest };
    }

    private static JsonTypeInfo<T> TypeInfo<T>() => (JsonTypeInfo<T>)Options.GetTypeInfo(typeof(T));

    /// <summary>
    /// The log's contract on top of the generated metadata: Core's events, commands and writes are polymorphic on
    /// "type"; a record's fields are written in its constructor's order (the log's order since version 1, and what a
    /// reader sees first); an optional number (a creation zxid) is written only when there is one, so logs from before
    /// fencing tokens read the same.
    /// </summary>
    private static void Contract(JsonTypeInfo info)
    {
        var derived = info.Type == typeof(Event) ? EventTypes : info.Type == typeof(Command) ? CommandTypes : info.Type == typeof(WriteOp) ? WriteOpTypes : null;
        if (derived is not null)
        {
            info.PolymorphismOptions = new JsonPolymorphismOptions
            {
                TypeDiscriminatorPropertyName = TypeProperty,
                UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization,
            };
            foreach (var type in derived)
            {
                info.PolymorphismOptions.DerivedTypes.Add(type);
            }
        }

        foreach (var property in info.Properties)
        {
            if (property.AssociatedParameter is { } parameter)
            {
                property.Order = parameter.Position;
            }

            if (property.PropertyType == typeof(long?))
            {
                property.ShouldSerialize = static (_, value) => value is not null;
            }
        }
    }
}

/// <summary>
/// The first line of a log: which format, which version, and the member's configuration. Each may be missing when
/// read, so that a line of another format is refused for its format, not for a missing configuration.
/// </summary>
internal sealed record HeaderLine<TConfig>(string? Format = null, long? Version = null, TConfig? Config = default);

/// <summary>What the header records of a <see cref="PartitionerConfig"/>: everything but the partition function itself, which is named.</summary>
/// <remarks>
/// <paramref name="Rebalance"/> is written only for a mode other than eager, so that an eager member's header reads as it
/// did before the modes, and a header without it (every log written before) reads as eager.
/// </remarks>
internal sealed record LoggedConfig(
    string Path,
    ImmutableArray<string> Items,
    string Identifier,
    string ContenderPrefix,
    TimeSpan TimeBoundary,
    TimeSpan MaxReactionTime,
    string PartitionFunctionName,
    int BatchSize,
    PartyAcl Acl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] RebalanceMode? Rebalance = null);

/// <summary>One decision's line: its number (0 for the start), the event (null for the start), the state and the commands.</summary>
internal sealed record DecisionLine(long Seq, Event? Event, LoggedState State, ImmutableArray<Command> Commands);

/// <summary>
/// The part of a state a log records: what a user of the partitioner can see. The owned items' fencing tokens are
/// left out when there are none, so that the states of a log written before fencing tokens read the same.
/// </summary>
internal sealed record LoggedState(
    PartitionState State,
    long StateId,
    ImmutableArray<string> AcquiredItems,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ImmutableArray<long>? FencingTokens = null,
    string? FailureReason = null)
{
    public static LoggedState Of(MemberState state)
    {
        ImmutableArray<long>? tokens = null;
        if (!state.OwnedItems.IsDefaultOrEmpty)
        {
            var builder = ImmutableArray.CreateBuilder<long>(state.OwnedItems.Length);
            foreach (var owned in state.OwnedItems)
            {
                builder.Add(owned.FencingToken);
            }

            tokens = builder.MoveToImmutable();
        }

        return new LoggedState(state.PartitionState, state.StateId, state.AcquiredItems.IsDefault ? [] : state.AcquiredItems, tokens, state.FailureReason);
    }
}

/// <summary>
/// The source-generated metadata of every type a log line holds. Core's records are listed one by one because no
/// attribute on them names their derived types (see <see cref="EventLogJson"/>).
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    RespectRequiredConstructorParameters = true,
    RespectNullableAnnotations = true,
    AllowOutOfOrderMetadataProperties = true,
    Converters = [
        typeof(ZooKeeperErrorConverter), typeof(AclEntryConverter), typeof(Base64Converter),
        typeof(EnumNameConverter<NodeKind>), typeof(EnumNameConverter<WatchEventKind>), typeof(EnumNameConverter<PartitionState>),
        typeof(EnumNameConverter<RebalanceMode>)])]
[JsonSerializable(typeof(HeaderLine<LoggedConfig>))]
[JsonSerializable(typeof(HeaderLine<JsonElement?>))]
[JsonSerializable(typeof(DecisionLine))]
[JsonSerializable(typeof(CreateCompleted))]
[JsonSerializable(typeof(DeleteCompleted))]
[JsonSerializable(typeof(ChildrenCompleted))]
[JsonSerializable(typeof(ExistsCompleted))]
[JsonSerializable(typeof(MultiCompleted))]
[JsonSerializable(typeof(MultiReadCompleted))]
[JsonSerializable(typeof(StatsCompleted))]
[JsonSerializable(typeof(DataCompleted))]
[JsonSerializable(typeof(WatchFired))]
[JsonSerializable(typeof(TimerFired))]
[JsonSerializable(typeof(SessionSuspended))]
[JsonSerializable(typeof(SessionReconnected))]
[JsonSerializable(typeof(SessionExpired))]
[JsonSerializable(typeof(SessionAuthFailed))]
[JsonSerializable(typeof(ReleaseRequested))]
[JsonSerializable(typeof(FinishRequested))]
[JsonSerializable(typeof(ItemWorkStopped))]
[JsonSerializable(typeof(CreateNode))]
[JsonSerializable(typeof(DeleteNode))]
[JsonSerializable(typeof(GetChildren))]
[JsonSerializable(typeof(Exists))]
[JsonSerializable(typeof(Multi))]
[JsonSerializable(typeof(MultiGetChildren))]
[JsonSerializable(typeof(MultiGetStat))]
[JsonSerializable(typeof(MultiGetData))]
[JsonSerializable(typeof(StartTimer))]
[JsonSerializable(typeof(CancelTimer))]
[JsonSerializable(typeof(StopItemWork))]
[JsonSerializable(typeof(CreateOp))]
[JsonSerializable(typeof(DeleteOp))]
internal sealed partial class EventLogJsonContext : JsonSerializerContext;
