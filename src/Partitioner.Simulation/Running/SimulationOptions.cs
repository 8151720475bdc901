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
    /// Whether about half of the partitioners are driven by the shell's own <c>RunAsync</c> loop instead of a
    /// StateChanged consumer. The default is false: <c>RunAsync</c> awaits <c>Task.WhenAny</c> over a task
    /// the shell completes with RunContinuationsAsynchronously, so it resumes on the thread pool, which a
    /// deterministic run cannot allow (the run ends as a crash naming the thread). Turn it on once that is fixed.
    /// </summary>
    public bool RunLoopConsumers { get; init; }

    /// <summary>How long the run continues after the party has converged, still checking safety. The default is 1 second.</summary>
    public TimeSpan SettleAfterConvergence { get; init; } = TimeSpan.FromSeconds(1);
}
