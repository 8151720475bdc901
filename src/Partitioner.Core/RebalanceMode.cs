namespace Partitioner.Core;

/// <summary>How a member's share changes when the party changes.</summary>
/// <remarks>
/// Internal until the shell and the simulator run <see cref="Cooperative"/> end to end (per-item work, its
/// stop reporting, the event log): a public option would promise what only Core does yet.
/// </remarks>
internal enum RebalanceMode
{
    /// <summary>
    /// kazoo's protocol: on a party change the member gives up its whole share (Release), waits for the party to be
    /// stable, and takes its new share. The only mode a party with kazoo members can use.
    /// </summary>
    Eager,

    /// <summary>
    /// Incremental hand-off: through a party change the member stays Acquired; after the stability wait it gives up
    /// only the items leaving its share, each once its work has stopped, and takes each arriving item as soon as it
    /// holds that item's lowest lock node. Items that stay are never interrupted. See <see cref="CooperativeHandOff"/>.
    /// </summary>
    Cooperative,
}
