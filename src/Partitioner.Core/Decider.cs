using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>A new state and the commands it asks for.</summary>
public readonly record struct Decision(MemberState State, ImmutableArray<Command> Commands);

/// <summary>The pure decision function: <c>Decide(state, event) -> (state, commands)</c>.</summary>
public static class Decider
{
    /// <summary>The initial state of a member and its first commands.</summary>
    public static Decision Start(PartitionerConfig config) => throw new NotImplementedException();

    /// <summary>Hands one event to the member; returns its new state and the commands to run.</summary>
    public static Decision Decide(MemberState state, Event @event) => throw new NotImplementedException();
}
