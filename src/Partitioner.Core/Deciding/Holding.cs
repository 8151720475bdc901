namespace Partitioner.Core;

/// <summary>Acquired: every lock of the share is held and the party is watched.</summary>
internal static class Holding
{
    /// <summary>The party changed while acquired: stop working on the set; the locks stay until the user releases.</summary>
    public static void OnPartyChanged(DecisionBuilder decision)
    {
        decision.SetPhase(new AwaitingReleasePhase());
        decision.MoveTo(PartitionState.Release, []);
    }
}
