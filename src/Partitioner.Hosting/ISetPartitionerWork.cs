namespace Partitioner.Hosting;

/// <summary>
/// The work on one acquired set of items. The hosted member resolves it from a new dependency-injection scope for
/// every acquisition, calls <see cref="RunAsync"/> with this member's items, cancels the token when the group
/// changes or the host stops, and releases the items once the call has returned.
/// </summary>
public interface ISetPartitionerWork
{
    /// <summary>Works on <paramref name="items"/> until <paramref name="cancellationToken"/> is cancelled, then returns soon.</summary>
    /// <param name="items">The items this member owns until the token is cancelled; sorted; empty when this member's share is (more members than items).</param>
    /// <param name="cancellationToken">Cancelled when the member must stop working on these items.</param>
    /// <returns>A task that completes when the work has stopped; the items are released only then.</returns>
    Task RunAsync(IReadOnlyList<string> items, CancellationToken cancellationToken);
}
