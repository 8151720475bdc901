using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Chooses a member's share of the items. It must be a pure function of its arguments, and
/// every member of a party must use the same one, or members will contend for the same locks.
/// </summary>
/// <param name="identifier">The member whose share is asked for; one of <paramref name="members"/>.</param>
/// <param name="members">Every member's identifier, distinct, sorted by Unicode code point.</param>
/// <param name="items">Every item, distinct, sorted by Unicode code point.</param>
/// <returns>The items this member should own.</returns>
public delegate ImmutableArray<string> PartitionFunction(string identifier, ImmutableArray<string> members, ImmutableArray<string> items);
