using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// What a result of the ledger's own ops (lock creates, deletes, sweeps) came to, once the ledger has recorded it. The
/// ledger returns it rather than call the round or Failure itself, so that it depends on neither: the decider routes it.
/// </summary>
internal abstract record LedgerOutcome
{
    private LedgerOutcome()
    {
    }

    /// <summary>The op is not one of the ledger's.</summary>
    public static LedgerOutcome NotLedgers { get; } = new NotLedgersOutcome();

    /// <summary>Recorded, with any commands it needed (deletes, a retry timer); nothing more for anyone to do.</summary>
    public static LedgerOutcome Recorded { get; } = new RecordedOutcome();

    /// <summary>A lock create found the folders of <paramref name="Items"/> missing (deleted by hand, or never made).</summary>
    public sealed record FoldersMissing(ImmutableArray<string> Items) : LedgerOutcome;

    /// <summary>
    /// A multi of folders with lock nodes came back as <paramref name="Result"/>; <paramref name="Kept"/> are the items whose
    /// node the ledger kept for the round (none unless it applied).
    /// </summary>
    public sealed record FoldersCreated(MultiCompleted Result, ImmutableArray<string> Kept) : LedgerOutcome;

    /// <summary>The op failed with a code nothing expects: <paramref name="Operation"/> on <paramref name="Path"/> got <paramref name="Error"/>.</summary>
    public sealed record Unexpected(string Operation, string Path, ZooKeeperError Error) : LedgerOutcome;

    private sealed record NotLedgersOutcome : LedgerOutcome;

    private sealed record RecordedOutcome : LedgerOutcome;
}
