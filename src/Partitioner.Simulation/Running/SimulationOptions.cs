using Partitioner.Core;

namespace Partitioner.Simulation.Running;

/// <summary>How a run is carried out, apart from the scenario itself.</summary>
public sealed record SimulationOptions
{
    /// <summary>A bound on scheduler steps; a run that needs more is reported as a crash (a runaway loop). The default is 5 million.</summary>
    public long StepsMax { get; init; } = 5_000_000;

    /// <summary>Whether every member's decisions are recorded as JSON Lines event logs. The default is false (faster).</summary>
    public bool RecordEventLogs { get; init; }

    /// <summary>
    /// For tests only: a decision function that every member runs instead of Core's <see cref="Decider.Decide"/>,
    /// to show that the checks catch a wrong decision. The default (null) runs Core.
    /// </summary>
    public Func<MemberState, Event, Decision>? DecideOverride { get; init; }

    /// <summary>
    /// For tests only: the token a consumer writes with instead of the item's <see cref="OwnedItem.FencingToken"/>,
    /// to show that the fenced-store check catches a broken token. The default (null) uses the real token.
    /// </summary>
    public Func<OwnedItem, long>? TokenOverride { get; init; }

    /// <summary>
    /// For tests only: the partition function cooperative members run instead of the sticky one the checks hold them to,
    /// to show that the hand-off check catches an item given up though the party's function keeps it. The default
    /// (null) runs <see cref="PartitionFunctions.Sticky"/>.
    /// </summary>
    public PartitionFunction? CooperativeFunctionOverride { get; init; }

    /// <summary>
    /// Whether about half of the partitioners (drawn from the seed) are driven by the shell's own
    /// <c>RunAsync</c> loop instead of a StateChanged consumer. The default is true. Turning it off keeps
    /// every consumer on StateChanged, for instance to tell a fault of the loop from one of the partitioner.
    /// </summary>
    public bool RunLoopConsumers { get; init; } = true;

    /// <summary>
    /// For tests only: whether the step checks, where they take a member's claim to hold without asking its partitioner
    /// again, ask it anyway and throw <see cref="InvalidOperationException"/> if the answer differs. The default is false.
    /// </summary>
    public bool VerifyHeldClaims { get; init; }

    /// <summary>
    /// Whether the result keeps every trace line, the server's operations included (<see cref="SimulationResult.DetailLines"/>),
    /// for tests that look at what went over the wire. The default is false (it costs memory).
    /// </summary>
    public bool KeepDetailLines { get; init; }

    /// <summary>How long the run continues after the party has converged, still checking safety. The default is 1 second.</summary>
    public TimeSpan SettleAfterConvergence { get; init; } = TimeSpan.FromSeconds(1);
}
