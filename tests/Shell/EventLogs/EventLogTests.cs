using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell.EventLogs;

public sealed class EventLogTests
{
    private const string OddItem = "é+\"x";
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new() { AnswerAtOnce = Answer };

    [Fact]
    public void Replay_OfARecordedRun_ReproducesEveryStateAndCommand()
    {
        // Given a member's recorded run touching every command and event type.
        var (log, partitioner) = Record();

        // When the log is replayed through the same decider.
        var result = Replayer().Replay(new StringReader(log));

        // Then every decision matched, and the timeline shows each state in turn.
        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Equal(Lines(log).Length - 1, result.DecisionsMatched);
        Assert.Equal(
            [PartitionState.Allocating, PartitionState.Acquired, PartitionState.Release, PartitionState.Allocating, PartitionState.Failure],
            result.Timeline.Select(t => t.State));
        Assert.Equal(["start", "TimerFired", "WatchFired", "DeleteCompleted", "SessionExpired"], result.Timeline.Select(t => t.EventType));
        Assert.Equal<string>(["a", OddItem], result.Timeline[1].AcquiredItems.ToArray());
        // ImmutableArray compares by reference, so compare the contents and then the rest of the record.
        Assert.Equal<string>(partitioner.Config.Items.ToArray(), result.Config.Items.ToArray());
        Assert.Equal(partitioner.Config, result.Config with { Items = partitioner.Config.Items });
    }

    [Fact]
    public void Log_StartsWithAHeaderThenOneLinePerDecisionWithTheStartFirst()
    {
        var (log, _) = Record();
        var lines = Lines(log);

        Assert.StartsWith("{\"format\":\"partitioner-event-log\",\"version\":2,\"config\":{\"path\":\"/party\",", lines[0], StringComparison.Ordinal);
        Assert.Contains($"\"contenderPrefix\":\"{Shell.Prefix}\"", lines[0], StringComparison.Ordinal);
        Assert.Contains("\"timeBoundary\":\"00:00:01\"", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("{\"seq\":0,\"event\":null,\"state\":{\"state\":\"Allocating\",\"stateId\":0,", lines[1], StringComparison.Ordinal);
        Assert.Contains("\"data\":\"bWVtYmVyLTE=\"", lines[1], StringComparison.Ordinal); // "member-1" in base64
        Assert.StartsWith("{\"seq\":1,", lines[2], StringComparison.Ordinal);
        Assert.Contains("\"error\":-999", log, StringComparison.Ordinal); // a code Core does not name
    }

    [Fact]
    public void Log_RecordsFencingTokensCreationZxidsAndStatReads()
    {
        var (log, _) = Record();

        Assert.Contains("\"fencingTokens\":[7,9],\"failureReason\":null", log, StringComparison.Ordinal);
        Assert.Contains("\"createdZxid\":17", log, StringComparison.Ordinal);
        Assert.Contains("{\"type\":\"MultiGetStat\",\"opId\":9,", log, StringComparison.Ordinal);
        Assert.Contains("\"results\":[{\"error\":\"Ok\",\"createdZxid\":42},{\"error\":\"NoNode\",\"createdZxid\":0}]", log, StringComparison.Ordinal);
        Assert.DoesNotContain("\"fencingTokens\":[]", log, StringComparison.Ordinal);
    }

    [Fact]
    public void Parser_OfResultsWrittenBeforeFencingTokens_ReadsThemWithoutCreationZxids()
    {
        var parser = new EventLogParser(7);
        using var create = System.Text.Json.JsonDocument.Parse("{\"type\":\"CreateCompleted\",\"opId\":3,\"error\":\"Ok\",\"createdPath\":\"/p/x\"}");
        using var multi = System.Text.Json.JsonDocument.Parse(
            "{\"type\":\"MultiCompleted\",\"opId\":4,\"error\":\"Ok\",\"results\":[{\"error\":\"Ok\",\"createdPath\":\"/p/l0000000001\"}]}");

        var created = Assert.IsType<CreateCompleted>(parser.ReadEvent(create.RootElement));
        var applied = Assert.IsType<MultiCompleted>(parser.ReadEvent(multi.RootElement));

        Assert.Equal(new CreateCompleted(3, ZooKeeperError.Ok, "/p/x", null), created);
        Assert.Equal(new WriteResult(ZooKeeperError.Ok, "/p/l0000000001", null), Assert.Single(applied.Results));
    }

    [Fact]
    public void Replay_WhenACommandInTheLogWasChanged_ReportsThatLineWithBothSides()
    {
        // Given a log where one decision's command was edited.
        var lines = Lines(Record().Log);
        var edited = Array.FindIndex(lines, l => l.Contains("\"type\":\"TimerFired\"", StringComparison.Ordinal) && l.Contains("\"commands\":[{", StringComparison.Ordinal));
        lines[edited] = lines[edited].Replace("EphemeralSequential", "Ephemeral", StringComparison.Ordinal);

        // When it is replayed.
        var result = Replayer().Replay(new StringReader(string.Join('\n', lines)));

        // Then the first mismatch is that line's commands, and the decisions before it matched.
        Assert.False(result.Succeeded);
        Assert.Equal(edited + 1, result.Mismatch!.LineNumber);
        Assert.Equal("commands", result.Mismatch.Part);
        Assert.Contains("\"kind\":\"Ephemeral\"", result.Mismatch.Expected, StringComparison.Ordinal);
        Assert.Contains("\"kind\":\"EphemeralSequential\"", result.Mismatch.Actual, StringComparison.Ordinal);
        Assert.Equal(edited - 1, result.DecisionsMatched);
    }

    [Fact]
    public void Replay_WhenTheDeciderNowDecidesDifferently_ReportsTheFirstStateThatDiffers()
    {
        // Given a recorded log, and a decider that no longer releases on a watch.
        var lines = Lines(Record().Log);
        var changed = new DeciderFunctions(ReplayableDecider.Start, (s, e) => e is WatchFired ? s.Then() : ReplayableDecider.Decide(s, e));

        // When the log is replayed through it.
        var result = new EventLogReplayer(null, changed).Replay(new StringReader(string.Join('\n', lines)));

        // Then the mismatch is the watch's line, on the state.
        var watchLine = Array.FindIndex(lines, l => l.Contains("\"type\":\"WatchFired\"", StringComparison.Ordinal)) + 1;
        Assert.Equal(watchLine, result.Mismatch!.LineNumber);
        Assert.Equal("state", result.Mismatch.Part);
        Assert.Contains("\"state\":\"Release\"", result.Mismatch.Expected, StringComparison.Ordinal);
        Assert.Contains("\"state\":\"Acquired\"", result.Mismatch.Actual, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfATruncatedLog_NamesTheCutLine()
    {
        var lines = Lines(Record().Log);
        var cut = string.Join('\n', lines[..^1]) + "\n" + lines[^1][..(lines[^1].Length / 2)];

        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(cut)));

        Assert.Equal(lines.Length, error.LineNumber);
        Assert.Contains("truncated", error.Message, StringComparison.Ordinal);
        Assert.StartsWith($"Event log line {lines.Length}:", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfALogWithAGarbledLine_NamesThatLine()
    {
        var lines = Lines(Record().Log);
        lines[3] = "{\"seq\":2,\"event\":{\"type\":\"TimerFired\",\"timerId\":\"three\"},\"state\":{},\"commands\":[]}";

        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(string.Join('\n', lines))));

        Assert.Equal(4, error.LineNumber);
        Assert.Contains("timerId", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfALogWithALineMissing_NamesWhereTheSequenceBreaks()
    {
        var lines = Lines(Record().Log).ToList();
        lines.RemoveAt(2);

        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(string.Join('\n', lines))));

        Assert.Equal(3, error.LineNumber);
        Assert.Contains("seq 2 where 1 was expected", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfALogEndingInBlankLines_Succeeds_ButABlankLineInside_IsNamed()
    {
        var lines = Lines(Record().Log);

        var trailing = Replayer().Replay(new StringReader(string.Join('\n', lines) + "\n\n  \n"));
        var inside = Assert.Throws<EventLogFormatException>(() =>
            Replayer().Replay(new StringReader(string.Join('\n', lines[..3]) + "\n\n" + string.Join('\n', lines[3..]))));

        Assert.True(trailing.Succeeded);
        Assert.Equal(4, inside.LineNumber);
        Assert.Contains("blank", inside.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfAnotherFormatVersion_RefusesOnLineOne()
    {
        var lines = Lines(Record().Log);
        lines[0] = lines[0].Replace("\"version\":2", "\"version\":1", StringComparison.Ordinal);

        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(string.Join('\n', lines))));

        Assert.Equal(1, error.LineNumber);
        Assert.Contains("format version 1", error.Problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("", 1, "empty")]
    [InlineData("not json at all", 1, "not valid JSON")]
    [InlineData("{\"format\":\"something-else\",\"version\":1}", 1, "\"something-else\"")]
    [InlineData("[1,2]", 1, "not a JSON object")]
    public void Replay_OfSomethingThatIsNotALog_SaysWhatIsWrongOnLineOne(string text, long line, string problem)
    {
        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(text)));

        Assert.Equal(line, error.LineNumber);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfAHeaderWithoutDecisions_SaysTheStartIsMissing()
    {
        var header = Lines(Record().Log)[0];

        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(header + "\n")));

        Assert.Equal(2, error.LineNumber);
        Assert.Contains("start decision is missing", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_OfAnUnknownEventType_NamesTheTypeAndLine()
    {
        var lines = Lines(Record().Log);
        var line = Array.FindIndex(lines, l => l.Contains("\"type\":\"SessionExpired\"", StringComparison.Ordinal));
        lines[line] = lines[line].Replace("SessionExpired", "SessionExploded", StringComparison.Ordinal);

        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(string.Join('\n', lines))));

        Assert.Equal(line + 1, error.LineNumber);
        Assert.Contains("\"SessionExploded\"", error.Problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Replay_WithACustomPartitionFunction_NeedsAResolverThatKnowsItsName()
    {
        // Given a run recorded with a named custom partition function.
        PartitionFunction everything = (_, _, items) => items;
        var options = Shell.Options(_time);
        options.PartitionFunction = everything;
        options.PartitionFunctionName = "everything";
        var log = RecordWith(options);

        // When replayed without a resolver, the header is refused naming the function.
        var error = Assert.Throws<EventLogFormatException>(() => Replayer().Replay(new StringReader(log)));
        Assert.Equal(1, error.LineNumber);
        Assert.Contains("\"everything\"", error.Problem, StringComparison.Ordinal);

        // Then with a resolver that knows it, the replay runs and hands the function to the configuration.
        var result = new EventLogReplayer(name => name == "everything" ? everything : null, Replayable).Replay(new StringReader(log));
        Assert.True(result.Succeeded);
        Assert.Same(everything, result.Config.PartitionFunction);
    }

    [Fact]
    public void Replay_OfThisRunLoggedByTheFormerHandWrittenWriter_StillReproducesEveryStateAndCommand()
    {
        // Given this class's recorded run as the writer before System.Text.Json wrote it (format version 2).
        var path = Path.Combine(AppContext.BaseDirectory, "EventLogs", "EventLogFixtures", "Version2", "scripted-every-type.jsonl");
        var log = File.ReadAllText(path);

        // When it is replayed, and the same run is logged again today.
        var result = Replayer().Replay(new StringReader(log));

        // Then every decision matched, and today's writer writes the very same text.
        Assert.True(result.Succeeded, result.Mismatch?.ToString());
        Assert.Equal(Lines(log).Length - 1, result.DecisionsMatched);
        Assert.Equal(log, Record().Log);
    }

    [Fact]
    public void Sink_OverAStream_WritesUtf8LinesWithoutAByteOrderMark()
    {
        using var stream = new MemoryStream();
        using (var sink = new JsonLinesEventLogSink(stream, leaveOpen: true))
        {
            var partitioner = new SetPartitioner(_port, "/party", ["a", OddItem], Shell.Options(_time, sink), Replayable);
            Assert.Equal(PartitionState.Allocating, partitioner.State);
        }

        var bytes = stream.ToArray();
        Assert.NotEqual(0xEF, bytes[0]);
        var text = Encoding.UTF8.GetString(bytes);
        Assert.EndsWith("\n", text, StringComparison.Ordinal);
        var result = Replayer().Replay(new StringReader(text));
        Assert.True(result.Succeeded);
        Assert.Equal(3, result.DecisionsMatched); // the start, then the create's and the read's results
        Assert.Contains(OddItem, result.Config.Items);
    }

    private static DeciderFunctions Replayable { get; } = new(ReplayableDecider.Start, ReplayableDecider.Decide);

    private static EventLogReplayer Replayer() => new(null, Replayable);

    private (string Log, SetPartitioner Partitioner) Record()
    {
        var writer = new StringWriter();
        var sink = new JsonLinesEventLogSink(writer);
        var partitioner = new SetPartitioner(_port, "/party", ["a", OddItem], Shell.Options(_time, sink), Replayable);
        Drive(partitioner);
        return (writer.ToString(), partitioner);
    }

    private string RecordWith(SetPartitionerOptions options)
    {
        var writer = new StringWriter();
        options.EventLog = new JsonLinesEventLogSink(writer);
        Drive(new SetPartitioner(_port, "/party", ["a", OddItem], options, Replayable));
        return writer.ToString();
    }

    /// <summary>Timer, watch, release, session changes and expiry, in that order.</summary>
    private void Drive(SetPartitioner partitioner)
    {
        _time.Advance(TimeSpan.FromSeconds(1));
        _port.Calls.Single(c => c.Operation == "exists").Watch!(WatchEventKind.NodeDeleted);
        _ = partitioner.ReleaseSetAsync();
        _port.ChangeSession(SessionChange.Suspended);
        _port.ChangeSession(SessionChange.Reconnected);
        _port.ChangeSession(SessionChange.Expired);
    }

    private static string[] Lines(string log) => log.TrimEnd('\n').Split('\n');

    private static object Answer(PortCall call) => call.Operation switch
    {
        "create" => new CreateCompleted(call.OpId, ZooKeeperError.Ok, call.Path, 17),
        "multiStat" => new StatsCompleted(call.OpId, ZooKeeperError.Ok, [new StatResult(ZooKeeperError.Ok, 42), new StatResult(ZooKeeperError.NoNode, 0)]),
        "delete" => ZooKeeperError.Ok,
        "exists" => (ZooKeeperError)(-999),
        "children" => new ChildrenCompleted(call.OpId, ZooKeeperError.Ok, ["x-member-2", "y-member-1"]),
        "multi" => new MultiCompleted(call.OpId, ZooKeeperError.NodeExists,
            [new WriteResult(ZooKeeperError.Ok, null), new WriteResult(ZooKeeperError.NodeExists, null), new WriteResult(ZooKeeperError.RuntimeInconsistency, null)]),
        _ => new MultiReadCompleted(call.OpId, ZooKeeperError.Ok, [new ChildrenResult(ZooKeeperError.Ok, ["n0000000001"]), new ChildrenResult(ZooKeeperError.NoNode, [])]),
    };

    /// <summary>A pure decider (a function of state and event only), so that a replay can reproduce it.</summary>
    private static class ReplayableDecider
    {
        public static Decision Start(PartitionerConfig config)
        {
            var me = $"{config.Path}/party/{config.ContenderPrefix}-{config.Identifier}";
            return new MemberState { Config = config }.Then(
                new CreateNode(1, me, [.. Encoding.UTF8.GetBytes(config.Identifier)], NodeKind.Ephemeral, PartyAcl.OpenUnsafe.Node),
                new GetChildren(2, $"{config.Path}/party", Watch: true),
                new StartTimer(3, config.TimeBoundary));
        }

        public static Decision Decide(MemberState state, Event e)
        {
            var locks = $"{state.Config.Path}/locks";
            return e switch
            {
                TimerFired => (state.To(PartitionState.Acquired, [.. state.Config.Items]) with { OwnedItems = [new("a", 7), new(OddItem, 9)] }).Then(
                    new Multi(4, [
                        new CreateOp($"{locks}/a/{state.Config.ContenderPrefix}__lock__", ImmutableArray<byte>.Empty, NodeKind.EphemeralSequential, PartyAcl.OpenUnsafe.Node),
                        new DeleteOp($"{locks}/{OddItem}/old"),
                        new CreateOp($"{locks}/b", [1, 2, 255], NodeKind.Persistent, PartyAcl.OpenUnsafe.Node)]),
                    new MultiGetChildren(5, [$"{locks}/a", $"{locks}/{OddItem}"]),
                    new Exists(6, $"{locks}/a/prev", Watch: true),
                    new MultiGetStat(9, [$"{locks}/a/mine", $"{locks}/{OddItem}/gone"]),
                    new StartTimer(8, TimeSpan.FromTicks(12345678))),
                WatchFired => state.To(PartitionState.Release).Then(new CancelTimer(8)),
                ReleaseRequested => state.Then(new DeleteNode(7, $"{locks}/a/mine")),
                DeleteCompleted => state.To(PartitionState.Allocating).Then(),
                SessionExpired => state.To(PartitionState.Failure).Then(),
                _ => state.Then(),
            };
        }
    }
}
