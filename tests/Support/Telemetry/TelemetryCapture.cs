using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace Partitioner.Tests.Support.Telemetry;

/// <summary>One measurement as a listener saw it.</summary>
internal sealed record Measurement(string Instrument, string? Unit, double Value, IReadOnlyDictionary<string, object?> Tags)
{
    public string? Tag(string name) => Tags.TryGetValue(name, out var value) ? value?.ToString() : null;
}

/// <summary>
/// A meter factory of its own and a <see cref="MeterListener"/> that hears only the meters it made, so that tests
/// running in parallel (and the static meters) never mix their measurements.
/// </summary>
internal sealed class MetricsCapture : IMeterFactory
{
    private readonly ConcurrentQueue<Measurement> _measurements = new();
    private readonly List<Meter> _meters = [];
    private readonly MeterListener _listener = new();

    public MetricsCapture()
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, this))
            {
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Add(instrument, value, tags));
        _listener.Start();
    }

    public IReadOnlyList<Measurement> All => [.. _measurements];

    /// <summary>Every measurement of one instrument, in order.</summary>
    public IReadOnlyList<Measurement> Of(string instrument) => [.. _measurements.Where(m => m.Instrument == instrument)];

    /// <summary>The sum of an instrument's measurements, optionally of those with one tag value.</summary>
    public double Sum(string instrument, string? tag = null, string? value = null) =>
        Of(instrument).Where(m => tag is null || m.Tag(tag) == value).Sum(m => m.Value);

    public Meter Create(MeterOptions options)
    {
        lock (_meters)
        {
            // A real factory caches its meters by name, so one host's members share them; so does this one.
            var existing = _meters.FirstOrDefault(m => m.Name == options.Name);
            if (existing is not null)
            {
                return existing;
            }

            options.Scope = this;
            var meter = new Meter(options);
            _meters.Add(meter);
            return meter;
        }
    }

    public void Dispose()
    {
        _listener.Dispose();
        lock (_meters)
        {
            foreach (var meter in _meters)
            {
                meter.Dispose();
            }
        }
    }

    private void Add<T>(Instrument instrument, T value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        where T : struct, IConvertible
    {
        var copy = new Dictionary<string, object?>();
        foreach (var tag in tags)
        {
            copy[tag.Key] = tag.Value;
        }

        _measurements.Enqueue(new Measurement(instrument.Name, instrument.Unit, value.ToDouble(System.Globalization.CultureInfo.InvariantCulture), copy));
    }
}

/// <summary>An <see cref="ActivityListener"/> that keeps the stopped spans of one source whose tag matches.</summary>
internal sealed class SpanCapture : IDisposable
{
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ActivityListener _listener;

    public SpanCapture(string source, string tag, string value)
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem(tag)?.ToString() == value)
                {
                    _spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public IReadOnlyList<Activity> Stopped => [.. _spans];

    public void Dispose() => _listener.Dispose();
}

/// <summary>A logger factory that keeps every line, with its category and level.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<(string Category, LogLevel Level, string Message)> _lines = new();

    public IReadOnlyList<(string Category, LogLevel Level, string Message)> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            lines.Enqueue((category, logLevel, formatter(state, exception)));
    }
}
