using System.Collections;
using System.Collections.Immutable;
using System.Reflection;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Partitioner.Core;
using Partitioner.ZooKeeper;

namespace Partitioner.Tests.Shell.EventLogs;

/// <summary>
/// The log format itself: every event and command survives a write and a read, and logs written by the hand-written
/// writer this one replaced (format version 2, kept as fixtures) still read, write back the same and replay.
/// </summary>
public sealed class EventLogFormatTests
{
    /// <summary>Logs of Core's decider: three members of simulated runs under faults, a release and finish, a digest ACL.</summary>
    public static TheoryData<string> CoreLogs { get; } =
    [
        "simulate-62000001-m1.jsonl", "simulate-62000001-m2.jsonl", "simulate-62000001-m3.jsonl", "simulate-62000002-m2.jsonl",
        "release-and-finish.jsonl", "digest-acl.jsonl",
    ];

    /// <summary>Every fixture, the scripted run's (every event and command type, a code Core does not name) too.</summary>
    public static TheoryData<string> AllLogs { get; } = [.. CoreLogs, "scripted-every-type.jsonl"];

    [Theory]
    [MemberData(nameof(CoreLogs))]
    public void Version2Log_WrittenByTheFormerWriter_ReplaysThroughCoreToTheSameStatesAndCommands(string name)
    {
        var lines = File.ReadAllLines(Fixture(name));

        // If Core's decisions change on purpose, these logs stop replaying: record them again from a run of that Core.
        var result = new EventLogReplayer().Replay(new StringReader(File.ReadAllText(Fixture(name))));

        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Equal(lines.Length - 1, result.DecisionsMatched);
    }

    [Theory]
    [MemberData(nameof(AllLogs))]
    public void Version2Log_EveryLine_ReadsAndWritesBackByteForByte(string name)
    {
        var lines = File.ReadAllLines(Fixture(name));

        var config = new EventLogParser(1).ReadHeader(lines[0], _ => null);
        Assert.Equal(lines[0], EventLogJson.ToJson(EventLogJson.HeaderOf(config), EventLogJson.Header));
        for (int i = 1; i < lines.Length; i++)
        {
            // The whole line as objects, commands and state too, not only what the replayer reads.
            var decision = System.Text.Json.JsonSerializer.Deserialize(lines[i], EventLogJson.Decision)!;
            Assert.Equal(lines[i], EventLogJson.ToJson(decision, EventLogJson.Decision));
        }
    }

    [Fact]
    public void Header_OfALogWrittenBeforeTheModes_ReadsAsEager_AndACooperativeOneKeepsItsMode()
    {
        // A header of the former writer has no mode: eager was the only one.
        var old = new EventLogParser(1).ReadHeader(File.ReadAllLines(Fixture("release-and-finish.jsonl"))[0], _ => null);
        Assert.Equal(RebalanceMode.Eager, old.Rebalance);

        // An eager header is written as before, without the field; a cooperative one names its mode and reads back.
        var eager = EventLogJson.ToJson(EventLogJson.HeaderOf(old), EventLogJson.Header);
        var cooperative = EventLogJson.ToJson(EventLogJson.HeaderOf(old with { Rebalance = RebalanceMode.Cooperative }), EventLogJson.Header);
        Assert.DoesNotContain("rebalance", eager, StringComparison.Ordinal);
        Assert.EndsWith(",\"rebalance\":\"Cooperative\"}}", cooperative, StringComparison.Ordinal);
        Assert.Equal(RebalanceMode.Cooperative, new EventLogParser(1).ReadHeader(cooperative, _ => null).Rebalance);
    }

    [Fact]
    public void Header_WithAnUnknownMode_IsRefusedNamingIt()
    {
        var line = File.ReadAllLines(Fixture("release-and-finish.jsonl"))[0].Replace("\"batchSize\"", "\"rebalance\":\"Lazy\",\"batchSize\"", StringComparison.Ordinal);

        var error = Assert.Throws<EventLogFormatException>(() => new EventLogParser(1).ReadHeader(line, _ => null));

        Assert.Contains("\"Lazy\" at config.rebalance", error.Problem, StringComparison.Ordinal);
    }

    [Property(MaxTest = 300)]
    public Property Event_OfEveryType_SurvivesWriteThenRead() =>
        Prop.ForAll(Events.ToArbitrary(), @event =>
        {
            var text = EventLogJson.ToJson(@event, EventLogJson.Event);
            using var document = System.Text.Json.JsonDocument.Parse(text);

            var read = new EventLogParser(1).ReadEvent(document.RootElement);

            return Same(@event, read).Label(text);
        });

    [Property(MaxTest = 300)]
    public Property Commands_OfEveryType_SurviveWriteThenRead() =>
        Prop.ForAll(Gen.ArrayOf(Commands).Select(c => c.ToImmutableArray()).ToArbitrary(), commands =>
        {
            var text = EventLogJson.ToJson(commands, EventLogJson.Commands);

            var read = System.Text.Json.JsonSerializer.Deserialize(text, EventLogJson.Commands);

            return Same(commands, read).Label(text);
        });

    [Fact]
    public void Generators_DrawEveryEventAndCommandType()
    {
        // The properties above prove something only for the types drawn: every type the log knows must be among them.
        var events = Gen.Sample(Events, 2_000).Select(e => e.GetType()).ToHashSet();
        var commands = Gen.Sample(Commands, 2_000).Select(c => c.GetType()).ToHashSet();

        Assert.Equal(EventLogJson.EventTypes.Select(t => t.DerivedType).ToHashSet(), events);
        Assert.Equal(EventLogJson.CommandTypes.Select(t => t.DerivedType).ToHashSet(), commands);
    }

    [Fact]
    public void Read_OfAWrongValueInsideAnEvent_NamesTheFieldAndWhatIsWrong()
    {
        using var document = System.Text.Json.JsonDocument.Parse("{\"type\":\"WatchFired\",\"opId\":3,\"path\":\"/p\",\"kind\":\"NodeExploded\"}");

        var error = Assert.Throws<EventLogFormatException>(() => new EventLogParser(9).ReadEvent(document.RootElement));

        Assert.Equal(9, error.LineNumber);
        Assert.StartsWith("has \"NodeExploded\" at event.kind, which does not fit:", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{\"type\":\"TimerFired\"}", "timerId")]
    [InlineData("{\"type\":\"CreateCompleted\",\"opId\":1,\"error\":\"Ok\"}", "createdPath")]
    [InlineData("{\"type\":\"ChildrenCompleted\",\"opId\":1,\"error\":\"Nope\",\"children\":[]}", "\"Nope\" is not a ZooKeeperError")]
    [InlineData("{\"type\":\"WatchFired\",\"opId\":1,\"path\":null,\"kind\":\"NodeCreated\"}", "event.path")]
    [InlineData("{\"opId\":1}", "without a \"type\"")]
    public void Read_OfAnIncompleteOrWrongEvent_SaysWhatIsMissingOrWrong(string json, string problem)
    {
        using var document = System.Text.Json.JsonDocument.Parse(json);

        var error = Assert.Throws<EventLogFormatException>(() => new EventLogParser(4).ReadEvent(document.RootElement));

        Assert.Contains(problem, error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfAHeaderWithABadAclEntry_NamesTheEntry()
    {
        var lines = File.ReadAllLines(Fixture("release-and-finish.jsonl"));
        lines[0] = lines[0].Replace("world:anyone:cdrwa", "world-anyone", StringComparison.Ordinal);

        var error = Assert.Throws<EventLogFormatException>(() => new EventLogReplayer().Replay(new StringReader(string.Join('\n', lines))));

        Assert.Equal(1, error.LineNumber);
        Assert.Contains("at config.acl.container[0]", error.Problem, StringComparison.Ordinal);
        Assert.Contains("\"world-anyone\" is not scheme:id:perms", error.Problem, StringComparison.Ordinal);
    }

    private static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "EventLogs", "EventLogFixtures", "Version2", name);

    private static readonly Gen<string> Text =
        Gen.ArrayOf(Gen.Elements("a", "Z", "0", "/", "-", "_", ":", "é", "\"", "\\", "+", "<", "\n", "\u0001", "日", "\ud83d\ude00"))
            .Select(parts => string.Concat(parts));

    private static readonly Gen<long> Numbers = Gen.OneOf(Gen.Choose(-1000, 1000).Select(i => (long)i), Gen.Elements(long.MinValue, long.MaxValue, 1L << 40));

    private static readonly Gen<long?> OptionalNumbers = Gen.OneOf(Gen.Constant<long?>(null), Numbers.Select(n => (long?)n));

    private static readonly Gen<string?> OptionalText = Gen.OneOf(Gen.Constant<string?>(null), Text.Select(t => (string?)t));

    /// <summary>Named codes, and codes Core does not name (the port passes any code through).</summary>
    private static readonly Gen<ZooKeeperError> Errors =
        Gen.OneOf(Gen.Elements(Enum.GetValues<ZooKeeperError>()), Gen.Choose(-1000, 1000).Select(code => (ZooKeeperError)code));

    private static readonly Gen<ImmutableArray<string>> TextList = Gen.ArrayOf(Text).Select(t => t.ToImmutableArray());

    /// <summary>ACL entries of every scheme but digest, whose hash the log leaves out on purpose.</summary>
    private static readonly Gen<ImmutableArray<AclEntry>> Acls = Gen.ArrayOf(
        from perms in Gen.Choose(1, 31)
        from scheme in Gen.Elements("world", "auth", "ip", "x509", "sasl")
        from id in Text
        select new AclEntry((AclPerms)perms, scheme, id)).Select(a => a.ToImmutableArray());

    private static readonly Gen<ImmutableArray<byte>> Bytes = Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).Select(b => b.ToImmutableArray());

    private static readonly Gen<TimeSpan> Durations = Gen.OneOf(
        Gen.Choose(0, int.MaxValue).Select(ms => TimeSpan.FromTicks(ms * 10_007L)),
        Gen.Elements(TimeSpan.Zero, TimeSpan.FromTicks(1), TimeSpan.FromDays(400), TimeSpan.MaxValue, TimeSpan.FromTicks(-12_345)));

    private static readonly Gen<Event> Events = Gen.OneOf(
        from id in Numbers from e in Errors from path in OptionalText from zxid in OptionalNumbers select (Event)new CreateCompleted(id, e, path, zxid),
        from id in Numbers from e in Errors select (Event)new DeleteCompleted(id, e),
        from id in Numbers from e in Errors from children in TextList select (Event)new ChildrenCompleted(id, e, children),
        from id in Numbers from e in Errors select (Event)new ExistsCompleted(id, e),
        from id in Numbers from e in Errors
        from results in Gen.ArrayOf(from re in Errors from path in OptionalText from zxid in OptionalNumbers select new WriteResult(re, path, zxid))
        select (Event)new MultiCompleted(id, e, [.. results]),
        from id in Numbers from e in Errors
        from results in Gen.ArrayOf(from re in Errors from children in TextList select new ChildrenResult(re, children))
        select (Event)new MultiReadCompleted(id, e, [.. results]),
        from id in Numbers from e in Errors
        from results in Gen.ArrayOf(from re in Errors from zxid in Numbers select new StatResult(re, zxid))
        select (Event)new StatsCompleted(id, e, [.. results]),
        from id in Numbers from e in Errors
        from results in Gen.ArrayOf(from re in Errors from data in Bytes select new DataResult(re, data))
        select (Event)new DataCompleted(id, e, [.. results]),
        from id in Numbers from path in Text from kind in Gen.Elements(Enum.GetValues<WatchEventKind>()) select (Event)new WatchFired(id, path, kind),
        from id in Numbers select (Event)new TimerFired(id),
        from id in Numbers select (Event)new ItemWorkStopped(id),
        Gen.Elements<Event>(new SessionSuspended(), new SessionReconnected(), new SessionExpired(), new SessionAuthFailed(), new ReleaseRequested(), new FinishRequested()));

    private static readonly Gen<WriteOp> WriteOps = Gen.OneOf(
        from path in Text from data in Bytes from kind in Gen.Elements(Enum.GetValues<NodeKind>()) from acl in Acls select (WriteOp)new CreateOp(path, data, kind, acl),
        from path in Text select (WriteOp)new DeleteOp(path));

    private static readonly Gen<Command> Commands = Gen.OneOf(
        from id in Numbers from path in Text from data in Bytes from kind in Gen.Elements(Enum.GetValues<NodeKind>()) from acl in Acls
        select (Command)new CreateNode(id, path, data, kind, acl),
        from id in Numbers from path in Text select (Command)new DeleteNode(id, path),
        from id in Numbers from path in Text from watch in Gen.Elements(true, false) select (Command)new GetChildren(id, path, watch),
        from id in Numbers from path in Text from watch in Gen.Elements(true, false) select (Command)new Exists(id, path, watch),
        from id in Numbers from ops in Gen.ArrayOf(WriteOps) select (Command)new Multi(id, [.. ops]),
        from id in Numbers from paths in TextList select (Command)new MultiGetChildren(id, paths),
        from id in Numbers from paths in TextList select (Command)new MultiGetStat(id, paths),
        from id in Numbers from paths in TextList select (Command)new MultiGetData(id, paths),
        from id in Numbers from due in Durations select (Command)new StartTimer(id, due),
        from id in Numbers select (Command)new CancelTimer(id),
        from id in Numbers from item in Text select (Command)new StopItemWork(id, item));

    /// <summary>
    /// Equal in every public property, lists element by element: records holding immutable arrays do not compare
    /// their contents, so record equality alone would not say.
    /// </summary>
    private static bool Same(object? expected, object? actual)
    {
        if (expected is null || actual is null)
        {
            return expected is null && actual is null;
        }

        if (expected.GetType() != actual.GetType())
        {
            return false;
        }

        if (expected is string || expected.GetType().IsPrimitive || expected is Enum || expected is TimeSpan)
        {
            return expected.Equals(actual);
        }

        if (expected is IEnumerable list)
        {
            var left = list.Cast<object?>().ToList();
            var right = ((IEnumerable)actual).Cast<object?>().ToList();
            return left.Count == right.Count && left.Zip(right).All(pair => Same(pair.First, pair.Second));
        }

        return expected.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .All(property => Same(property.GetValue(expected), property.GetValue(actual)));
    }
}
