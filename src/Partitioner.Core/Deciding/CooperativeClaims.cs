using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Cooperative mode's claims while a round takes the items arriving in the member's share: the member is Acquired
/// through the whole round, and each arriving item joins <see cref="MemberState.OwnedItems"/> in the decision that
/// finds this member's node lowest with its creation zxid known, not when the last one is. The staying items were
/// claimed all along.
/// </summary>
/// <remarks>
/// Apart from <see cref="CooperativeHandOff"/> because the locking stage calls it: the hand-off starts rounds, and a
/// round's locking must not call back into what started it (see the module dependency tests).
/// </remarks>
internal static class CooperativeClaims
{
    /// <summary>
    /// The round's locking moved on: claim the items held since the last claim; once every arriving item is held the
    /// member holds its whole share and waits on the party watch (Holding), as an eager member does when it is Acquired.
    /// </summary>
    public static void OnLockingProgress(DecisionBuilder decision, Round round, LockingStage locking)
    {
        if (locking.Fresh is { IsEmpty: false } fresh && decision.State.PartitionState == PartitionState.Acquired)
        {
            Claim(decision, round, fresh.AsSpan());
        }

        locking = locking.FreshClaimed();
        if (locking.HeldCount < round.Share.Length)
        {
            decision.SetPhase(new RoundPhase(round.At(locking)));
            return;
        }

        decision.Evolve(s => s.AcquiredOnce().RetryBackoffReset());
        decision.SetPhase(new HoldingPhase(round.PartyWatchOpId));
    }

    /// <summary>Adds <paramref name="item"/>, whose lock node this member holds with <paramref name="token"/>, to its claims.</summary>
    public static void ClaimAgain(DecisionBuilder decision, string item, long token) =>
        decision.MoveTo(PartitionState.Acquired, Merge(decision.State.OwnedItems, [new OwnedItem(item, token)]));

    /// <summary>The items at share indices <paramref name="indices"/> join the claims, with their tokens, in code-point order.</summary>
    private static void Claim(DecisionBuilder decision, Round round, ReadOnlySpan<int> indices)
    {
        var sorted = indices.ToArray();
        Array.Sort(sorted, Comparer<int>.Default);
        var tokens = decision.Ledger.Tokens;
        var added = new List<OwnedItem>(sorted.Length);
        foreach (int index in sorted)
        {
            string item = round.Share[index];
            added.Add(new OwnedItem(item, tokens[item]));
        }

        decision.MoveTo(PartitionState.Acquired, Merge(decision.State.OwnedItems, added));
    }

    /// <summary>
    /// Both lists in code-point order of their names; an item in both (held again after a round restarted) is kept once,
    /// with the token already claimed: the node is the same one.
    /// </summary>
    private static ImmutableArray<OwnedItem> Merge(ImmutableArray<OwnedItem> owned, IReadOnlyList<OwnedItem> added)
    {
        var merged = ImmutableArray.CreateBuilder<OwnedItem>(owned.Length + added.Count);
        int i = 0;
        int j = 0;
        while (i < owned.Length || j < added.Count)
        {
            int order = i == owned.Length ? 1 : j == added.Count ? -1 : CodePointComparer.Instance.Compare(owned[i].Name, added[j].Name);
            if (order <= 0)
            {
                merged.Add(owned[i++]);
                j += order == 0 ? 1 : 0;
            }
            else
            {
                merged.Add(added[j++]);
            }
        }

        return merged.ToImmutable();
    }
}
