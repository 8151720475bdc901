namespace Partitioner.Simulation.Checks;

/// <summary>What kind of check failed.</summary>
public enum ViolationKind
{
    /// <summary>Two members owned one item at the same instant.</summary>
    SingleOwner,

    /// <summary>An Acquired member did not hold the lowest lock node of one of its items on a live session.</summary>
    LockAgreement,

    /// <summary>The downstream store accepted a write from a stale owner (see <c>FencedStore</c>).</summary>
    StaleWrite,

    /// <summary>
    /// Cooperative mode: an item's work was stopped though no party the server had while it ran moved the item away,
    /// or was taken as lost while its member still held it (see <c>HandOffChecker</c>).
    /// </summary>
    Interruption,

    /// <summary>The party did not converge within the liveness bound after the last fault.</summary>
    Liveness,

    /// <summary>The model's own assertions, or the code under test, threw.</summary>
    Crash,
}

/// <summary>A failed check: what, when, and the details that explain it.</summary>
/// <param name="Kind">Which check.</param>
/// <param name="At">The virtual time.</param>
/// <param name="Message">What was seen.</param>
public sealed record Violation(ViolationKind Kind, TimeSpan At, string Message)
{
    /// <summary>True for the safety checks (single owner, lock agreement, no stale write accepted, no needless interruption).</summary>
    public bool IsSafety => Kind is ViolationKind.SingleOwner or ViolationKind.LockAgreement or ViolationKind.StaleWrite or ViolationKind.Interruption;
}
