using Partitioner.Core;
using ZooKeeper.Client;

namespace Partitioner.Hosting;

/// <summary>
/// The settings of a hosted <see cref="Partitioner.ZooKeeper.SetPartitioner"/> member, usually bound from a
/// configuration section (<c>"Partitioner"</c> in the sample). They are checked when the host starts; a bad value
/// stops the start with an <see cref="Microsoft.Extensions.Options.OptionsValidationException"/> naming its
/// configuration key, such as <c>Partitioner:Path</c>.
/// </summary>
public sealed class SetPartitionerHostOptions
{
    /// <summary>The ZooKeeper servers, <c>host[:port][,host[:port]...][/chroot]</c>. Required; there is no default.</summary>
    public string ConnectString { get; set; } = "";

    /// <summary>
    /// The session timeout asked of ZooKeeper. The default is 10 seconds. Keep it below the host's shutdown
    /// timeout: leaving the party on stop waits at most one session timeout.
    /// </summary>
    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The party's root znode, such as <c>/myapp/partitioner</c>. Required; there is no default.</summary>
    public string Path { get; set; } = "";

    /// <summary>The items to divide; every member must be given the same ones. Required: at least one, no duplicates.</summary>
    public IList<string> Items { get; set; } = [];

    /// <summary>This member's identifier, unique in the party. The default (null) is <c>"&lt;host&gt;-&lt;process id&gt;"</c>.</summary>
    public string? Identifier { get; set; }

    /// <summary>How long the party must stay unchanged before the members allocate. The default is 30 seconds, kazoo's.</summary>
    public TimeSpan TimeBoundary { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long the member may take to notice a party change while taking locks. The default is 1 second.</summary>
    public TimeSpan MaxReactionTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The ZooKeeper servers' <c>tickTime</c> (see <see cref="Partitioner.ZooKeeper.SetPartitionerOptions.ServerTickTime"/>).
    /// The default (null) is half the negotiated session timeout.
    /// </summary>
    public TimeSpan? ServerTickTime { get; set; }

    /// <summary>How many writes or reads go into one multi or multiRead request. The default is 250.</summary>
    public int BatchSize { get; set; } = 250;

    /// <summary>
    /// The credentials the session sends before its first request, such as <see cref="AuthInfo.Digest"/>
    /// (see <see cref="ZooKeeperClientOptions.Auth"/>). The default is none. Set them in code (the <c>configure</c>
    /// delegate of <see cref="SetPartitionerServiceCollectionExtensions"/>), from a secret store, not from a
    /// configuration file others can read.
    /// </summary>
    public IList<AuthInfo> Auth { get; set; } = [];

    /// <summary>
    /// TLS to the servers' <c>secureClientPort</c> (see <see cref="ZooKeeperClientOptions.Tls"/>). The default (null)
    /// is plaintext. Set it in code.
    /// </summary>
    public ZooKeeperTlsOptions? Tls { get; set; }

    /// <summary>
    /// The ACLs of the nodes the member creates (see <see cref="Partitioner.ZooKeeper.SetPartitionerOptions.Acl"/>).
    /// The default is <see cref="PartyAcl.OpenUnsafe"/>, kazoo's: anyone who reaches the servers may change the party.
    /// Set it in code, for example to <see cref="PartyAcl.CreatorAll"/> with <see cref="Auth"/>.
    /// </summary>
    public PartyAcl Acl { get; set; } = PartyAcl.OpenUnsafe;

    /// <summary>
    /// How the member's share changes when the party changes (see <see cref="Partitioner.ZooKeeper.SetPartitionerOptions.Rebalance"/>).
    /// The default is <see cref="RebalanceMode.Eager"/>, kazoo's. <see cref="RebalanceMode.Cooperative"/> stops only the
    /// items whose owner changes; every member of the party must use it, and the work must be per item
    /// (<see cref="SetPartitionerServiceCollectionExtensions.AddSetPartitionerItems{TWork}(Microsoft.Extensions.DependencyInjection.IServiceCollection, Action{SetPartitionerHostOptions})"/>):
    /// the host refuses to start it with set-wide work.
    /// </summary>
    public RebalanceMode Rebalance { get; set; } = RebalanceMode.Eager;

    /// <summary>
    /// The partition function by name: <c>"round-robin"</c> (kazoo's, <see cref="PartitionFunctions.RoundRobin"/>) or
    /// <c>"sticky"</c> (<see cref="PartitionFunctions.Sticky"/>, which moves few items on a change; for parties of this
    /// library only, and the one to pair with <see cref="RebalanceMode.Cooperative"/>). Every member of the party must
    /// use the same one. The default (null) is round-robin.
    /// </summary>
    public string? PartitionFunction { get; set; }

    /// <summary>The names <see cref="PartitionFunction"/> accepts, as a message lists them.</summary>
    internal const string PartitionFunctionNames = "round-robin or sticky";

    /// <summary>The function <see cref="PartitionFunction"/> names; false for a name that is none of <see cref="PartitionFunctionNames"/>.</summary>
    internal bool TryGetPartitionFunction(out PartitionFunction? function)
    {
        (var known, function) = PartitionFunction switch
        {
            null or "round-robin" => (true, (PartitionFunction?)null),
            "sticky" => (true, PartitionFunctions.Sticky),
            _ => (false, null),
        };
        return known;
    }
}
