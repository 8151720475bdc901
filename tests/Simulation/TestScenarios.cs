using Partitioner.Simulation;
using Partitioner.Simulation.Faults;

namespace Partitioner.Tests.Simulation;

/// <summary>
/// Hand-written scenarios for the simulator's tests. A test starts from <see cref="Quiet"/> and states with
/// <c>with { ... }</c> only what it varies, so that the values it depends on are the ones it names.
/// </summary>
internal static class TestScenarios
{
    /// <summary>
    /// Three members sharing 20 items with no faults, in a 10 s fault phase: 3 s sessions, a 100 ms time boundary,
    /// a 300 ms reaction time, one-way latencies up to 10 ms and releases up to 50 ms; seed 1. Not validated, so that
    /// a test that varies it calls <see cref="Scenario.Validate"/> where it wants the check.
    /// </summary>
    public static Scenario Quiet { get; } = new()
    {
        Seed = 1,
        Members = 3,
        Items = 20,
        SessionTimeout = TimeSpan.FromSeconds(3),
        TimeBoundary = TimeSpan.FromMilliseconds(100),
        MaxReactionTime = TimeSpan.FromMilliseconds(300),
        LatencyMax = TimeSpan.FromMilliseconds(10),
        ReleaseDelayMax = TimeSpan.FromMilliseconds(50),
        FaultPhase = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// One C# member with two items, then a second that joins at 1 s, in a 2 s fault phase with latencies up to 5 ms
    /// and instant releases (seed 5): the smallest party in which a broken decider keeps a newcomer from its share.
    /// </summary>
    public static Scenario OneMemberThenAJoin { get; } = Quiet with
    {
        Seed = 5,
        Members = 1,
        Items = 2,
        LatencyMax = TimeSpan.FromMilliseconds(5),
        ReleaseDelayMax = TimeSpan.Zero,
        FaultPhase = TimeSpan.FromSeconds(2),
        Faults = [new FaultEvent(TimeSpan.FromSeconds(1), FaultKind.Join, 0, TimeSpan.Zero)],
    };
}
