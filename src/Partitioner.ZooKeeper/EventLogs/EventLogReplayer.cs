using System.Collections.Immutable;
using System.Text.Json;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Replays an event log through Core: rebuilds the configuration from the header, runs the start and then
/// each recorded event through the decider, and compares every state and command list with the log's.
/// </summary>
public sealed class EventLogReplayer
{
    private readonly Func<string, PartitionFunction?> _resolvePartitionFunction;
    private readonly DeciderFunctions _decider;

    /// <summary>Creates a replayer that runs Core's decider.</summary>
    /// <param name="resolvePartitionFunction">
    /// Finds a custom partition function by the name the log records; a replay needs the same function the
    /// member ran. The default knows only "round-robin", Core's default.
    /// </param>
    public EventLogReplayer(Func<string, PartitionFunction?>? resolvePartitionFunction = null)
        : this(resolvePartitionFunction, DeciderFunctions.Core)
    {
    }

    internal EventLogReplayer(Func<string, PartitionFunction?>? resolvePartitionFunction, DeciderFunctions decider)
    {
        _resolvePartitionFunction = resolvePartitionFunction ?? (_ => null);
        _decider = decider;
    }

    /// <summary>Replays the log in the file at <paramref name="path"/>.</summary>
    /// <exception cref="EventLogFormatException">The log is truncated, corrupt or of another version; the error names the line.</exception>
    public ReplayResult ReplayFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        using var reader = new StreamReader(path);
        return Replay(reader);
    }

    /// <summary>Replays the log <paramref name="reader"/> holds.</summary>
    /// <exception cref="EventLogFormatException">The log is truncated, corrupt or of another version; the error names the line.</exception>
    public ReplayResult Replay(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new EventLogFormatException(1, "the log is empty; a header was expected");
        var config = ReadHeader(header);
        var timeline = new List<ReplayStateChange>();
        MemberState? state = null;
        long lineNumber = 1;
        long seq = 0;
        long? blankLine = null;
        for (var line = reader.ReadLine(); line is not null; line = reader.ReadLine())
        {
            lineNumber++;

            // Blank lines may end a log (an editor's extra newline); inside one they mean damage.
            if (string.IsNullOrWhiteSpace(line))
            {
                blankLine ??= lineNumber;
                continue;
            }

            if (blankLine is { } blank)
            {
                throw new EventLogFormatException(blank, "is blank, inside the log (a corrupt log?)");
            }

            var mismatch = ReplayLine(new EventLogParser(lineNumber), line, config, seq, ref state, timeline);
            if (mismatch is not null)
            {
                return new ReplayResult(config, seq, timeline, mismatch);
            }

            seq++;
        }

        if (seq == 0)
        {
            throw new EventLogFormatException(lineNumber + 1, "the log ends after its header; the start decision is missing (truncated?)");
        }

        return new ReplayResult(config, seq, timeline, null);
    }

    private PartitionerConfig ReadHeader(string line) => new EventLogParser(1).ReadHeader(line, _resolvePartitionFunction);

    /// <summary>Replays one decision line; the mismatch, or null when Core decided exactly as logged.</summary>
    private ReplayMismatch? ReplayLine(
        EventLogParser parser, string line, PartitionerConfig config, long seq, ref MemberState? state, List<ReplayStateChange> timeline)
    {
        using var recorded = parser.ReadDecision(line);
        var @event = ReadDecisionEvent(parser, recorded, seq);
        var expectedState = Canonical(recorded.State);
        var expectedCommands = Canonical(recorded.Commands);
        Decision decision;
        try
        {
            decision = @event is null ? _decider.Start(config) : _decider.Decide(state!, @event);
        }
        catch (Exception exception)
        {
            return new ReplayMismatch(parser.LineNumber, seq, "decider", expectedState, $"the decider threw {exception.GetType().Name}: {exception.Message}");
        }

        var actualState = EventLogJson.ToJson(LoggedState.Of(decision.State), EventLogJson.State);
        if (actualState != expectedState)
        {
            return new ReplayMismatch(parser.LineNumber, seq, "state", expectedState, actualState);
        }

        var actualCommands = EventLogJson.ToJson(decision.Commands.IsDefault ? [] : decision.Commands, EventLogJson.Commands);
        if (actualCommands != expectedCommands)
        {
            return new ReplayMismatch(parser.LineNumber, seq, "commands", expectedCommands, actualCommands);
        }

        if (state is null || state.StateId != decision.State.StateId || state.PartitionState != decision.State.PartitionState)
        {
            var s = decision.State;
            timeline.Add(new ReplayStateChange(parser.LineNumber, seq, @event?.GetType().Name ?? "start", s.PartitionState, s.StateId, s.AcquiredItems, s.FailureReason));
        }

        state = decision.State;
        return null;
    }

    /// <summary>Reads the line's event, checking the sequence and that the event reads back exactly as written.</summary>
    private static Event? ReadDecisionEvent(EventLogParser parser, RecordedDecision recorded, long seq)
    {
        if (recorded.Seq != seq)
        {
            throw parser.Fail($"has seq {recorded.Seq} where {seq} was expected (a line is missing or out of order)");
        }

        var @event = parser.ReadEvent(recorded.Event);
        if ((@event is null) != (seq == 0))
        {
            throw parser.Fail(seq == 0 ? "should be the start decision, with a null event" : "has a null event, which only the start decision may have");
        }

        if (@event is not null && EventLogJson.ToJson(@event, EventLogJson.Event) != Canonical(recorded.Event))
        {
            throw parser.Fail($"has an event that does not read back as written (corrupt?): {Canonical(recorded.Event)}");
        }

        return @event;
    }

    private static string Canonical(JsonElement element) => EventLogJson.ToJson(element, EventLogJson.Element);
}
