using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Partitioner.Core;

namespace Partitioner.ZooKeeper;

/// <summary>
/// How a <see cref="SetPartitioner"/> behaves. Every value is checked once, when the partitioner is
/// created; a bad value is refused with an <see cref="ArgumentException"/> that names it.
/// </summary>
public sealed class SetPartitionerOptions
{
    /// <summary>
    /// This member's identifier, unique in the party and without '/'. The default is
    /// <c>"&lt;host&gt;-&lt;process id&gt;"</c>, as kazoo does.
    /// </summary>
    public string? Identifier { get; set; }

    /// <summary>How long the party must stay unchanged before the members allocate. The default is 30 seconds.</summary>
    public TimeSpan TimeBoundary { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// How long the member may take to notice a party change while it is taking locks, and how long it
    /// waits before retrying after a transient failure. The default is 1 second.
    /// </summary>
    public TimeSpan MaxReactionTime { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Chooses this member's share of the items. Every member of a party must use the same function.
    /// The default (null) is kazoo's round-robin over the sorted members and items.
    /// </summary>
    public PartitionFunction? PartitionFunction { get; set; }

    /// <summary>
    /// The name of <see cref="PartitionFunction"/>, written to the event log so that a replay can use the
    /// same one. The default is "round-robin" without a function and "custom" with one.
    /// </summary>
    public string? PartitionFunctionName { get; set; }

    /// <summary>Where every decision is recorded (see <see cref="JsonLinesEventLogSink"/>). The default (null) records nothing.</summary>
    public IEventLogSink? EventLog { get; set; }

    /// <summary>Receives the state changes and errors. The default (null) uses <see cref="LoggerFactory"/>, and without one logs nothing.</summary>
    public ILogger? Logger { get; set; }

    /// <summary>
    /// Makes the logger (category "Partitioner.ZooKeeper.SetPartitioner") when <see cref="Logger"/> is null; a host
    /// passes its own. The default (null) logs nothing.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>
    /// Makes the "Partitioner" meter that the member's metrics go to (see the README's table); a host passes its own,
    /// so that its metrics pipeline sees them. The default (null) uses a static meter of the same name.
    /// </summary>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>The only source of time and timers. The default is <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// 32 lowercase hex digits that name this member's party node and lock nodes. The default (null) is a
    /// new random GUID in the "N" format; a simulator sets it from its seed so that runs repeat.
    /// </summary>
    public string? ContenderPrefix { get; set; }

    /// <summary>
    /// The ZooKeeper servers' <c>tickTime</c>, which bounds how late a follower tells the leader that it heard
    /// from this member (see the README's guarantee section). The default (null) is half the negotiated session
    /// timeout, the largest tickTime a server can have while its <c>minSessionTimeout</c> is ZooKeeper's default
    /// of two ticks; a member cannot read the tickTime from the session, and the <c>conf</c> four-letter word
    /// that shows it is off unless whitelisted. Set it when you know it: a smaller value lets claims survive
    /// slower round trips. It must be set when an operator lowered <c>minSessionTimeout</c> below two ticks,
    /// and must never be smaller than the servers' real tickTime.
    /// </summary>
    public TimeSpan? ServerTickTime { get; set; }

    /// <summary>How many writes or reads go into one multi or multiRead request. The default is 250.</summary>
    public int BatchSize { get; set; } = 250;

    /// <summary>
    /// The most ZooKeeper requests this member has sent and not yet had decided on. When Core asks for more, the rest
    /// wait in the member, unsent and in Core's order, and go out as results come back: nothing is failed or dropped,
    /// and no thread waits. It bounds the results that can wait in the member's mailbox at once, and how much of a
    /// shared client's <c>PendingRequestsMax</c> one member takes. The default is 1,000 (a request is a multi or
    /// multiRead of up to <see cref="BatchSize"/> ops, or one lock's read); it must be at least 1.
    /// </summary>
    public int RequestsInFlightMax { get; set; } = 1000;

    /// <summary>
    /// The ACLs of the nodes this member creates (<c>P</c>'s missing ancestors, <c>P</c>, <c>P/locks</c>,
    /// <c>P/party</c>, the lock folders, its party node and its lock nodes). The default is
    /// <see cref="PartyAcl.OpenUnsafe"/>, kazoo's default: anyone who can reach ZooKeeper can delete a member's
    /// lock node or plant a member. <see cref="PartyAcl.CreatorAll"/> with digest auth on the client
    /// (<c>ZooKeeperClientOptions.Auth</c>) protects the party; every member must then use the same credentials.
    /// Nodes that already exist keep the ACL they were created with.
    /// </summary>
    public PartyAcl Acl { get; set; } = PartyAcl.OpenUnsafe;

    /// <summary>
    /// How this member's share changes when the party changes. <see cref="RebalanceMode.Eager"/>, the default, is
    /// kazoo's: every member stops all its work, waits for the party to be stable, and takes its new share; the only
    /// mode a party with kazoo members can use. <see cref="RebalanceMode.Cooperative"/> stops only the items whose owner
    /// changes, item by item; every member of the party must be this library's and use it, and the work must be per
    /// item (<see cref="SetPartitioner.RunItemsAsync"/> or <see cref="SetPartitioner.ItemOwnershipChanged"/>): the
    /// per-set <see cref="SetPartitioner.RunAsync"/> refuses it. A value that is not a defined mode is refused.
    /// </summary>
    public RebalanceMode Rebalance { get; set; } = RebalanceMode.Eager;
}
