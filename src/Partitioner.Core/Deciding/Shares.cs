using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>This member's share of the items for one party snapshot, checked before any lock is taken.</summary>
internal static class Shares
{
    /// <summary>
    /// The share, sorted by code point; empty for a standby member (see <see cref="PartyMembership"/>).
    /// Null when the partition function failed or returned an item that is not in the set; the member is
    /// then in Failure with the reason.
    /// </summary>
    public static ImmutableArray<string>? Compute(DecisionBuilder decision, ImmutableArray<string> partyChildren)
    {
        var config = decision.Config;
        if (!PartyMembership.IsActive(partyChildren, config.PartyNodeName))
        {
            return [];
        }

        var members = PartyMembership.Members(partyChildren);
        var function = config.PartitionFunction ?? PartitionFunctions.RoundRobin;
        ImmutableArray<string> share;
        try
        {
            share = function(config.Identifier, members, config.Items);
        }
#pragma warning disable CA1031 // A user's function that throws must fail the member, not the shell's event loop.
        catch (Exception error)
#pragma warning restore CA1031
        {
            Failures.Fail(decision, $"the partition function '{config.PartitionFunctionName}' threw {error.GetType().Name}: {error.Message}");
            return null;
        }

        return Check(decision, share);
    }

    private static ImmutableArray<string>? Check(DecisionBuilder decision, ImmutableArray<string> share)
    {
        var config = decision.Config;
        if (share.IsDefault)
        {
            Failures.Fail(decision, $"the partition function '{config.PartitionFunctionName}' returned a default (uninitialized) array");
            return null;
        }

        // A share in strictly ascending order (what the round-robin function returns) is checked against the sorted
        // items in one forward pass and needs neither de-duplication nor a sort.
        bool ascending = share.All(item => item is not null) && CodePointComparer.IsStrictlyAscending(share.AsSpan());
        var positions = new SortedPositions(config.Items);
        foreach (string item in share)
        {
            if (item is null || (ascending ? positions.Find(item) : config.Items.BinarySearch(item, CodePointComparer.Instance)) < 0)
            {
                Failures.Fail(decision, $"the partition function '{config.PartitionFunctionName}' returned {ZnodeNameRules.Quote(item)}, which is not one of the items");
                return null;
            }
        }

        return ascending ? share : [.. share.Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance)];
    }
}
