namespace Partitioner.Core;

/// <summary>An item this member owns, with the fencing token of this ownership.</summary>
/// <param name="Name">The item.</param>
/// <param name="FencingToken">
/// The creation zxid of the lock node that makes this member the item's owner. It is the same for as long as
/// the member keeps that node, and greater for every later owner of the item, whoever it is (another member, this
/// member after a release, a restarted process, a new session). A store the work writes to can refuse any write
/// whose token is below the highest it has seen for the item: that refuses a former owner that woke up late.
/// </param>
/// <remarks>
/// <para>Why creation-zxid order is ownership order. The owner of an item is the contender whose lock node has the
/// lowest sequence in the item's folder. ZooKeeper applies writes one at a time in zxid order, and a sequential
/// node's sequence is the folder's child-change count at its creation, so within one folder a later-created node
/// has both a higher sequence and a higher creation zxid. When an owner's node goes, the next owner's node is one
/// that existed with a higher sequence, or one created later: either way its creation zxid is higher. The recipe
/// never deletes a folder; a folder deleted by hand and created again holds only nodes created after everything
/// the old folder held, so their zxids are higher still. zxids never go backwards, across leader elections and
/// restarts, and they are one sequence for the whole ensemble, so the order holds across sessions and members.</para>
/// <para>A sequence number alone would not do: it starts again at 0 in a re-created folder.</para>
/// </remarks>
public readonly record struct OwnedItem(string Name, long FencingToken);
