using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell.Diagnostics;

public sealed class DiagnosticsTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new();
    private readonly ScriptedDecider _decider = new()
    {
        OnDecide = (state, e) => e switch
        {
            SessionSuspended => state.To(PartitionState.Release).Then(),
            SessionExpired => state.To(PartitionState.Failure).Then(),
            _ => state.Then(),
        },
    };

    [Fact]
    public void EventLog_WhenTheSinkThrows_IsDroppedAndTheMemberCarriesOn()
    {
        // Given a sink that fails on its second decision.
        var sink = new FailingSink(failOnDecision: 1);
        var partitioner = Shell.Start(_port, _time, _decider, sink);

        // When two more events come.
        _port.ChangeSession(SessionChange.Suspended);
        _port.ChangeSession(SessionChange.Expired);

        // Then both were decided, and the sink was not called again after it threw.
        Assert.Equal(PartitionState.Failure, partitioner.State);
        Assert.Equal(2, _decider.Seen.Count);
        Assert.Equal([0L, 1L], sink.Seqs);
    }

    [Fact]
    public void Logger_GetsEachStateChangeWithTheMemberAndTheFailureReason()
    {
        var logger = new CapturingLogger();
        var options = Shell.Options(_time);
        options.Logger = logger;
        _ = new SetPartitioner(_port, "/party", ["a"], options, _decider.Functions);

        _port.ChangeSession(SessionChange.Suspended);
        _port.ChangeSession(SessionChange.Expired);

        var changes = logger.Entries.Where(e => e.Level == LogLevel.Information).Select(e => e.Message).ToList();
        Assert.Equal(2, changes.Count);
        Assert.Equal("Partitioner member-1: Allocating -> Release (state id 1, 0 items)", changes[0]);
        Assert.Equal("Partitioner member-1: Release -> Failure (state id 2, 0 items): scripted failure", changes[1]);
    }

    private sealed class FailingSink(long failOnDecision) : IEventLogSink
    {
        public List<long> Seqs { get; } = [];

        public void WriteHeader(PartitionerConfig config)
        {
        }

        public void WriteDecision(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands)
        {
            Seqs.Add(seq);
            if (seq == failOnDecision)
            {
                throw new IOException("disk full");
            }
        }
    }

    private sealed class CapturingLogger : ILogger
    {
        public ConcurrentQueue<(LogLevel Level, string Message)> Entries { get; } = new();

        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Entries.Enqueue((logLevel, formatter(state, exception)));
    }
}
