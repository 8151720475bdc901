using BenchmarkDotNet.Attributes;
using Partitioner.Benchmarks.Partitioner;
using Partitioner.Core;
using Partitioner.ZooKeeper;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// The event log of one member acquiring 1,000 items through Core (its setup, party read, lock multis of 250 creates
/// and their reads, as <see cref="CoreOnlyBench"/> runs it): every decision written through the sink, every line read
/// as the replayer reads it, and the whole log replayed through Core. The <c>Step</c> column is the time per line.
/// </summary>
[MemoryDiagnoser]
public class EventLogBenchmarks
{
    private readonly List<(Event? Event, Decision Decision)> _decisions = [];
    private string _log = "";
    private string[] _lines = [];

    [GlobalSetup]
    public void Setup()
    {
        CoreOnlyBench.RunOnce(1_000, (e, d) => _decisions.Add((e, d)));
        var writer = new StringWriter();
        using (var sink = new JsonLinesEventLogSink(writer))
        {
            sink.WriteHeader(_decisions[0].Decision.State.Config);
            for (int seq = 0; seq < _decisions.Count; seq++)
            {
                sink.WriteDecision(seq, _decisions[seq].Event, _decisions[seq].Decision.State, _decisions[seq].Decision.Commands);
            }

            _log = writer.ToString();
        }

        _lines = [.. _log.TrimEnd('\n').Split('\n').Skip(1)];
        foreach (var method in new[] { nameof(WriteLines), nameof(ReadLines), nameof(Replay) })
        {
            StepColumn.Record(typeof(EventLogBenchmarks), method, _lines.Length, "lines");
        }
    }

    /// <summary>Every decision written through <see cref="JsonLinesEventLogSink"/>, as the member logged it.</summary>
    [Benchmark]
    public int WriteLines()
    {
        var writer = new StringWriter();
        using var sink = new JsonLinesEventLogSink(writer);
        for (int seq = 0; seq < _decisions.Count; seq++)
        {
            sink.WriteDecision(seq, _decisions[seq].Event, _decisions[seq].Decision.State, _decisions[seq].Decision.Commands);
        }

        return writer.GetStringBuilder().Length;
    }

    /// <summary>Every line read as the replayer reads it: the line, its event, and the state and commands kept as JSON.</summary>
    [Benchmark]
    public int ReadLines()
    {
        int events = 0;
        for (int i = 0; i < _lines.Length; i++)
        {
            var parser = new EventLogParser(i + 2);
            using var decision = parser.ReadDecision(_lines[i]);
            events += parser.ReadEvent(decision.Event) is null ? 0 : 1;
        }

        return events;
    }

    /// <summary>The whole log replayed: read, decided again by Core, and each state and command list written and compared.</summary>
    [Benchmark]
    public long Replay()
    {
        var result = new EventLogReplayer().Replay(new StringReader(_log));
        return result.Succeeded ? result.DecisionsMatched : throw new InvalidOperationException(result.Mismatch!.ToString());
    }
}
