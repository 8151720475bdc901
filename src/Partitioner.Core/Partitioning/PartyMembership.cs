using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Who is a member, read from the children of <c>P/party</c>, and the rule for duplicate identifiers.
/// </summary>
/// <remarks>
/// <para>Each child <c>&lt;prefix&gt;-&lt;identifier&gt;</c> names a member by its identifier. kazoo gives two
/// nodes with one identifier the same index, so both contend for one share and one of them stalls
/// forever. The rule here: among party nodes with the same identifier, only the one whose node name sorts
/// lowest by code point is <em>active</em>; the others are <em>standby</em>. A standby member takes an empty
/// share (it reaches Acquired owning nothing) and takes over when the active node leaves, which is a party
/// change like any other. The partition function sees each identifier once.</para>
/// <para>A Python member does not know this rule: a Python member and a C# member with one identifier
/// may still contend. Identifiers must be unique in a mixed party.</para>
/// </remarks>
public static class PartyMembership
{
    /// <summary>The distinct identifiers of the party's nodes, sorted by code point.</summary>
    public static ImmutableArray<string> Members(IEnumerable<string> partyChildren)
    {
        ArgumentNullException.ThrowIfNull(partyChildren);
        return partyChildren
            .Select(PartyNode.IdentifierOf)
            .Distinct(StringComparer.Ordinal)
            .Order(CodePointComparer.Instance)
            .ToImmutableArray();
    }

    /// <summary>
    /// True when <paramref name="ownNodeName"/> is the active node of its identifier: the lowest, by code point,
    /// of the party nodes that carry the same identifier. False when it is standby or not in the party.
    /// </summary>
    public static bool IsActive(IEnumerable<string> partyChildren, string ownNodeName)
    {
        ArgumentNullException.ThrowIfNull(partyChildren);
        ArgumentNullException.ThrowIfNull(ownNodeName);
        string identifier = PartyNode.IdentifierOf(ownNodeName);
        string? lowest = partyChildren
            .Where(child => string.Equals(PartyNode.IdentifierOf(child), identifier, StringComparison.Ordinal))
            .Order(CodePointComparer.Instance)
            .FirstOrDefault();
        return string.Equals(lowest, ownNodeName, StringComparison.Ordinal);
    }
}
