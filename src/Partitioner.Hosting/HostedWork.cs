namespace Partitioner.Hosting;

/// <summary>
/// Which work a registration gave the hosted member: set-wide (<see cref="ISetPartitionerWork"/>) or per item
/// (<see cref="ISetPartitionerItemWork"/>), and the type, for the validator's message. Registered as a singleton by
/// <see cref="SetPartitionerServiceCollectionExtensions"/>; a service built without it runs set-wide work.
/// </summary>
internal sealed record HostedWork(bool PerItem, Type WorkType)
{
    /// <summary>The interface the work implements, as a message names it.</summary>
    public string InterfaceName => PerItem ? nameof(ISetPartitionerItemWork) : nameof(ISetPartitionerWork);
}
