using System.Buffers;
using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Writes a member's decisions as JSON Lines: a header line with the format version and configuration,
/// then one line per decision: <c>{"seq", "event", "state", "commands"}</c>. <see cref="EventLogReplayer"/> reads it back.
/// </summary>
/// <remarks>
/// Each line is flushed as it is written, so a crashed process leaves a log that ends on a whole line.
/// Give each member its own sink: a sink is not safe to share between members.
/// </remarks>
public sealed class JsonLinesEventLogSink : IEventLogSink, IDisposable
{
    private readonly ArrayBufferWriter<byte> _buffer = new();
    private readonly TextWriter _writer;
    private readonly bool _leaveOpen;
    private Utf8JsonWriter? _json;

    /// <summary>Writes to <paramref name="writer"/>.</summary>
    /// <param name="writer">Where the lines go.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="writer"/> open. The default is false.</param>
    public JsonLinesEventLogSink(TextWriter writer, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(writer);
        _writer = writer;
        _leaveOpen = leaveOpen;
    }

    /// <summary>Writes UTF-8 (without a byte-order mark) to <paramref name="stream"/>.</summary>
    /// <param name="stream">Where the lines go.</param>
    /// <param name="leaveOpen">Whether <see cref="Dispose"/> leaves <paramref name="stream"/> open. The default is false.</param>
    public JsonLinesEventLogSink(Stream stream, bool leaveOpen = false)
        : this(new StreamWriter(stream ?? throw new ArgumentNullException(nameof(stream)), new UTF8Encoding(false), 4096, leaveOpen), leaveOpen: false)
    {
    }

    /// <inheritdoc />
    public void WriteHeader(PartitionerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        WriteLine(EventLogJson.HeaderOf(config), EventLogJson.Header);
    }

    /// <inheritdoc />
    public void WriteDecision(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands)
    {
        ArgumentNullException.ThrowIfNull(state);
        WriteLine(EventLogJson.DecisionOf(seq, @event, state, commands), EventLogJson.Decision);
    }

    /// <summary>Flushes and closes the writer (unless it was to be left open).</summary>
    public void Dispose()
    {
        _json?.Dispose();
        if (_leaveOpen)
        {
            _writer.Flush();
        }
        else
        {
            _writer.Dispose();
        }
    }

    private void WriteLine<T>(T value, JsonTypeInfo<T> typeInfo)
    {
        _buffer.ResetWrittenCount();
        if (_json is null)
        {
            _json = new Utf8JsonWriter(_buffer);
        }
        else
        {
            _json.Reset(_buffer);
        }

        JsonSerializer.Serialize(_json, value, typeInfo);
        _json.Flush();
        _writer.Write(Encoding.UTF8.GetString(_buffer.WrittenSpan));
        _writer.Write('\n');
        _writer.Flush();
    }
}
