using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// The decision function a member runs. Users always get Core's <see cref="Decider"/>; the simulator's
/// mutation test swaps in a broken one and the shell's tests a scripted one, to show that the checks
/// catch a wrong decision and that the mailbox works whatever the decisions are.
/// </summary>
internal sealed record DeciderFunctions(
    Func<PartitionerConfig, Decision> Start,
    Func<MemberState, Event, Decision> Decide)
{
    /// <summary>Core's decider.</summary>
    public static DeciderFunctions Core { get; } = new(Decider.Start, Decider.Decide);
}
