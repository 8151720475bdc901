using Microsoft.Extensions.Logging;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>The shell's log messages; generated so that a disabled level costs no allocation.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information,
        Message = "Partitioner {Identifier}: {OldState} -> {NewState} (state id {StateId}, {ItemCount} items){FailureReason}")]
    public static partial void StateChanged(
        ILogger logger, string identifier, PartitionState oldState, PartitionState newState, long stateId, int itemCount, string failureReason);

    [LoggerMessage(EventId = 2, Level = LogLevel.Trace,
        Message = "Partitioner {Identifier}: decision {Seq} on {Event} gave {CommandCount} commands")]
    public static partial void Decided(ILogger logger, string identifier, long seq, Event? @event, int commandCount);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error,
        Message = "Partitioner {Identifier}: the decider threw on {Event}; the member stops in Failure")]
    public static partial void DeciderThrew(ILogger logger, string identifier, Event @event, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Error,
        Message = "Partitioner {Identifier}: the port failed operation {OpId} instead of returning a code; reported as SystemError")]
    public static partial void PortFaulted(ILogger logger, string identifier, long opId, Exception? exception);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning,
        Message = "Partitioner {Identifier}: a StateChanged handler threw; the member carries on")]
    public static partial void HandlerThrew(ILogger logger, string identifier, Exception exception);

    [LoggerMessage(EventId = 7, Level = LogLevel.Warning,
        Message = "Partitioner {Identifier}: the ZooKeeper session {Change}")]
    public static partial void SessionChanged(ILogger logger, string identifier, string change);

    [LoggerMessage(EventId = 8, Level = LogLevel.Warning,
        Message = "Partitioner {Identifier}: the port called the watch of operation {OpId} on {Path} again ({Kind}); a watch fires once, so it is ignored")]
    public static partial void WatchFiredAgain(ILogger logger, string identifier, long opId, string path, WatchEventKind kind);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning,
        Message = "Partitioner {Identifier}: the port answered operation {OpId} again ({Answer}); a request is answered once, so it is ignored")]
    public static partial void AnsweredAgain(ILogger logger, string identifier, long opId, string answer);

    [LoggerMessage(EventId = 11, Level = LogLevel.Error,
        Message = "Partitioner {Identifier}: the port answered operation {OpId} with the id {AnsweredId}; the answer is taken as operation {OpId}'s")]
    public static partial void AnsweredWithAnotherId(ILogger logger, string identifier, long opId, long answeredId);

    [LoggerMessage(EventId = 9, Level = LogLevel.Warning,
        Message = "Partitioner {Identifier}: an ItemOwnershipChanged handler threw on {Item} {Change}; the member carries on")]
    public static partial void OwnershipHandlerThrew(ILogger logger, string identifier, string item, ItemOwnershipChange change, Exception exception);

    [LoggerMessage(EventId = 6, Level = LogLevel.Error,
        Message = "Partitioner {Identifier}: the event log sink threw; no more decisions are recorded")]
    public static partial void EventLogThrew(ILogger logger, string identifier, Exception exception);
}
