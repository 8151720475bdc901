namespace Partitioner.Core;

/// <summary>How a member's share changes when the party changes.</summary>
/// <remarks>
/// Every member of a party must use the same mode. A party with kazoo members must be <see cref="Eager"/>.
/// </remarks>
public enum RebalanceMode
{
    /// <summary>
    /// kazoo's protocol: on a party change the member gives up its whole share (Release), waits for the party to be
    /// stable, and takes its new share. The only mode a party with kazoo members can use.
    /// </summary>
    Eager,

    /// <summary>
    /// Incremental hand-off: through a party change the member stays Acquired; after the stability wait it gives up
    /// only the items leaving its share, each once its work has stopped, and takes each arriving item as soon as it
    /// holds that item's lowest lock node. Items that stay are never interrupted. For parties whose members are all this
    /// library; the work is then per item (the shell's <c>RunItemsAsync</c>), since a set-wide work cannot be stopped
    /// item by item.
    /// </summary>
    Cooperative,
}
