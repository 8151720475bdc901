using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper;

namespace Partitioner.Tests.Shell;

/// <summary>
/// A decider whose decisions a test writes, and that records what it was handed: the events in order,
/// and how deeply calls nested (more than 1 would mean the mailbox let an event in re-entrantly).
/// </summary>
internal sealed class ScriptedDecider
{
    private readonly object _gate = new();
    private int _depth;

    public Func<PartitionerConfig, Decision> OnStart { get; set; } = config => new Decision(new MemberState { Config = config }, []);

    public Func<MemberState, Event, Decision> OnDecide { get; set; } = (state, _) => new Decision(state, []);

    public List<Event> Seen { get; } = [];

    public int MaxDepth { get; private set; }

    /// <summary>Whether two decisions ever ran at the same time (on different threads).</summary>
    public bool Overlapped { get; private set; }

    public DeciderFunctions Functions => new(OnStartTracked, OnDecideTracked);

    private Decision OnStartTracked(PartitionerConfig config) => OnStart(config);

    private Decision OnDecideTracked(MemberState state, Event @event)
    {
        var depth = Interlocked.Increment(ref _depth);
        try
        {
            lock (_gate)
            {
                Overlapped |= depth > 1;
                MaxDepth = Math.Max(MaxDepth, depth);
                Seen.Add(@event);
            }

            return OnDecide(state, @event);
        }
        finally
        {
            Interlocked.Decrement(ref _depth);
        }
    }
}

/// <summary>Builders for the shell tests.</summary>
internal static class Shell
{
    public const string Prefix = "0123456789abcdef0123456789abcdef";

    public static SetPartitionerOptions Options(ManualTimeProvider time, IEventLogSink? log = null) => new()
    {
        Identifier = "member-1",
        ContenderPrefix = Prefix,
        TimeProvider = time,
        TimeBoundary = TimeSpan.FromSeconds(1),
        EventLog = log,
    };

    public static SetPartitioner Start(ScriptedPort port, ManualTimeProvider time, ScriptedDecider decider, IEventLogSink? log = null) =>
        new(port, "/party", ["a", "b", "c"], Options(time, log), decider.Functions);

    /// <summary>A state change, as Core makes it: the state id grows by one.</summary>
    public static MemberState To(this MemberState state, PartitionState next, params string[] items) => state with
    {
        PartitionState = next,
        StateId = state.StateId + 1,
        AcquiredItems = [.. items],
        FailureReason = next == PartitionState.Failure ? "scripted failure" : null,
    };

    public static Decision Then(this MemberState state, params Command[] commands) => new(state, [.. commands]);

    public static ImmutableArray<string> Names(params string[] names) => [.. names];
}
