using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Network;

namespace Partitioner.Simulation;

/// <summary>
/// Everything one simulated run depends on: the party, the timings, the fault schedule and the seed
/// that drives everything else (latencies, contender prefixes, child-list order, backoffs, consumer
/// delays). The same scenario always gives the same run. <see cref="ToString"/> writes a spec that
/// <see cref="Parse"/> reads back, so a shrunk scenario can be replayed from the command line.
/// </summary>
public sealed record Scenario
{
    /// <summary>The most members a scenario starts with (joins may not go past it either).</summary>
    public const int MembersMax = 100;

    /// <summary>The most items.</summary>
    public const int ItemsMax = 10_000;

    /// <summary>The seed of every random draw in the run.</summary>
    public required ulong Seed { get; init; }

    /// <summary>How many members start (1 to <see cref="MembersMax"/>).</summary>
    public required int Members { get; init; }

    /// <summary>How many items: "0", "1", ... as kazoo's tests use (0 to <see cref="ItemsMax"/>).</summary>
    public required int Items { get; init; }

    /// <summary>The session timeout every member asks for.</summary>
    public required TimeSpan SessionTimeout { get; init; }

    /// <summary>The partitioners' time boundary.</summary>
    public required TimeSpan TimeBoundary { get; init; }

    /// <summary>The partitioners' max reaction time.</summary>
    public required TimeSpan MaxReactionTime { get; init; }

    /// <summary>The largest one-way network latency; the smallest is a tenth of it.</summary>
    public required TimeSpan LatencyMax { get; init; }

    /// <summary>The longest time a normal consumer takes to stop work and release.</summary>
    public required TimeSpan ReleaseDelayMax { get; init; }

    /// <summary>How long faults may start for; the liveness phase follows.</summary>
    public required TimeSpan FaultPhase { get; init; }

    /// <summary>
    /// How many ZooKeeper servers: 1 (a standalone server) or more (a leader and followers, each client on one of
    /// them). The default is 1, which is also what a spec without <c>servers=</c> means.
    /// </summary>
    public int Servers { get; init; } = 1;

    /// <summary>The most servers.</summary>
    public const int ServersMax = 5;

    /// <summary>What the members' clients do with watches across a reconnect.</summary>
    public WatchReconnectMode WatchMode { get; init; } = WatchReconnectMode.Rearm;

    /// <summary>The default of <see cref="FrameBytesMax"/>: ZooKeeper's jute.maxbuffer, the real client's default.</summary>
    public const int FrameBytesDefault = 1_048_575;

    /// <summary>
    /// The largest reply the members' clients accept, in bytes; a larger one fails its request alone
    /// (MarshallingError), as the real client does. The default is <see cref="FrameBytesDefault"/>; smaller limits stand for the real one at a
    /// smaller scale (64 KiB over thousands of folders is 1 MiB over a hundred thousand).
    /// </summary>
    public int FrameBytesMax { get; init; } = FrameBytesDefault;

    /// <summary>
    /// Lock folders already under <c>P/locks</c> when the run starts, left by an earlier, larger item set or by
    /// other members (named <c>stale-N</c>, never items of this run). The default is 0.
    /// </summary>
    public int StaleFolders { get; init; }

    /// <summary>
    /// The largest clock-rate drift, in parts per thousand: each member's clock and the server's run at a rate
    /// drawn from the seed in [1 - drift, 1 + drift] of true time. The default is 0 (every clock exact).
    /// </summary>
    public int ClockDriftPermille { get; init; }

    /// <summary>
    /// The rate, in parts per thousand of requests, at which the leader answers a member's request with a transient
    /// code during the fault phase (ThrottledOp, SessionMoved, OperationTimeout, or one of them or ConnectionLoss inside
    /// a multiRead), which the shell and Core retry with back-off. The default is 0 (none).
    /// </summary>
    public int TransientPermille { get; init; }

    /// <summary>
    /// How many kazoo-like members start besides the <see cref="Members"/> C# members (named k0, k1, ...): models of
    /// kazoo's SetPartitioner on the wire (a party node <c>&lt;hex&gt;-&lt;ID&gt;</c>, a new <c>&lt;hex&gt;__lock__</c>
    /// prefix per lock, no identifier in lock nodes, kazoo's states, its stop-the-world rebalance and its known
    /// weaknesses). The default is 0; members and kazoo members together are at most <see cref="MembersMax"/>.
    /// </summary>
    public int KazooMembers { get; init; }

    /// <summary>
    /// How the C# members rebalance: eager (kazoo's protocol, the default, and what a spec without <c>rebalance=</c>
    /// means), cooperative (incremental hand-off with the sticky function), or mixed (both on one path).
    /// </summary>
    public PartyRebalance Rebalance { get; init; } = PartyRebalance.Eager;

    /// <summary>The largest <see cref="TransientPermille"/>.</summary>
    public const int TransientPermilleMax = 500;

    /// <summary>The most stale lock folders a scenario may start with.</summary>
    public const int StaleFoldersMax = 200_000;

    /// <summary>The largest clock drift, in parts per thousand (10%).</summary>
    public const int ClockDriftPermilleMax = 100;

    /// <summary>The names of the stale folders.</summary>
    public IEnumerable<string> StaleFolderNames =>
        Enumerable.Range(0, StaleFolders).Select(i => "stale-" + i.ToString(CultureInfo.InvariantCulture));

    /// <summary>
    /// The size of the reply to a full listing of <c>P/locks</c> once every item has its folder (jute: 16-byte
    /// header, a 4-byte count, each name as a 4-byte length and its bytes): above <see cref="FrameBytesMax"/>,
    /// a member that lists all of <c>P/locks</c> cannot read the answer.
    /// </summary>
    public long LocksListingBytes =>
        16 + 4 + ItemNames.Sum(n => 4L + Encoding.UTF8.GetByteCount(n)) + StaleFolderNames.Sum(n => 4L + Encoding.UTF8.GetByteCount(n));

    /// <summary>The faults, in any order.</summary>
    public ImmutableArray<FaultEvent> Faults { get; init; } = ImmutableArray<FaultEvent>.Empty;

    /// <summary>The items' names.</summary>
    public ImmutableArray<string> ItemNames =>
        Enumerable.Range(0, Items).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToImmutableArray();

    /// <summary>The longest release delay any consumer can have, slow consumers included.</summary>
    public TimeSpan ReleaseDelayWorst =>
        Faults.Where(f => f.Kind == FaultKind.SlowConsumer).Select(f => f.Duration).Append(ReleaseDelayMax).Max();

    /// <summary>
    /// How long, after the last fault has ended, every live member may take to be Acquired with the
    /// shares covering the set exactly once: time for the server to expire dead sessions (one timeout),
    /// for a failed member to be recreated and reconnect (another timeout at most), and for three
    /// rounds of release (slowest consumer), stability wait and lock reaction, plus 3 s of slack. With
    /// transient replies, one more retry at the longest back-off (8 times the reaction time) that may
    /// still be waiting when the last fault ends.
    /// </summary>
    public TimeSpan LivenessBound =>
        (2 * SessionTimeout) + (3 * (TimeBoundary + MaxReactionTime + ReleaseDelayWorst)) + TimeSpan.FromSeconds(3)
        + (HasTransients ? 8 * MaxReactionTime : TimeSpan.Zero)
        + KazooAllocationWorst;

    /// <summary>
    /// With kazoo members, three of their allocations: they lock their share one item at a time, each lock a few
    /// round trips (ensure the folder, create, list, and watch a predecessor), each up to twice the largest latency
    /// through a follower and back; zero without them.
    /// </summary>
    public TimeSpan KazooAllocationWorst => KazooMembers == 0
        ? TimeSpan.Zero
        : 3 * (((Items + Members + KazooMembers - 1) / (Members + KazooMembers)) + 1) * 4 * 4 * LatencyMax;

    /// <summary>True when the leader may answer with transient codes: a rate, or a TransientReplies fault.</summary>
    public bool HasTransients => TransientPermille > 0 || Faults.Any(f => f.Kind == FaultKind.TransientReplies);

    /// <summary>Checks every value; a bad one is refused with an error naming it and its value.</summary>
    /// <exception cref="ArgumentException">A value is out of range.</exception>
    public Scenario Validate()
    {
        Require(Members is >= 1 and <= MembersMax, nameof(Members), Members, $"must be 1 to {MembersMax}");
        Require(KazooMembers >= 0 && Members + KazooMembers <= MembersMax, nameof(KazooMembers), KazooMembers,
            $"must be 0 or more, with the {Members} members at most {MembersMax} in all");
        Require(Items is >= 0 and <= ItemsMax, nameof(Items), Items, $"must be 0 to {ItemsMax}");
        Require(SessionTimeout >= TimeSpan.FromMilliseconds(500), nameof(SessionTimeout), SessionTimeout, "must be at least 500 ms");
        Require(TimeBoundary >= TimeSpan.Zero, nameof(TimeBoundary), TimeBoundary, "must not be negative");
        Require(MaxReactionTime > TimeSpan.Zero, nameof(MaxReactionTime), MaxReactionTime, "must be positive");
        Require(LatencyMax > TimeSpan.Zero && LatencyMax * 10 < SessionTimeout, nameof(LatencyMax), LatencyMax,
            "must be positive and under a tenth of the session timeout");
        Require(ReleaseDelayMax >= TimeSpan.Zero, nameof(ReleaseDelayMax), ReleaseDelayMax, "must not be negative");
        Require(Servers is >= 1 and <= ServersMax, nameof(Servers), Servers, $"must be 1 to {ServersMax}");
        Require(FaultPhase >= TimeSpan.Zero, nameof(FaultPhase), FaultPhase, "must not be negative");
        Require(FrameBytesMax is >= 4_096 and <= 64 * 1024 * 1024, nameof(FrameBytesMax), FrameBytesMax, "must be 4,096 to 67,108,864 bytes");
        Require(StaleFolders is >= 0 and <= StaleFoldersMax, nameof(StaleFolders), StaleFolders, $"must be 0 to {StaleFoldersMax}");
        Require(ClockDriftPermille is >= 0 and <= ClockDriftPermilleMax, nameof(ClockDriftPermille), ClockDriftPermille,
            $"must be 0 to {ClockDriftPermilleMax} parts per thousand");
        Require(TransientPermille is >= 0 and <= TransientPermilleMax, nameof(TransientPermille), TransientPermille,
            $"must be 0 to {TransientPermilleMax} parts per thousand");
        Require(Enum.IsDefined(Rebalance), nameof(Rebalance), Rebalance, "must be Eager, Cooperative or Mixed");
        Require(Rebalance != PartyRebalance.Cooperative || KazooMembers == 0, nameof(KazooMembers), KazooMembers,
            "must be 0 in a cooperative party (a kazoo member makes it a mixed one)");
        foreach (var fault in Faults)
        {
            Require(fault.At >= TimeSpan.Zero && fault.Duration >= TimeSpan.Zero && fault.Member >= 0, nameof(Faults), fault,
                "needs a non-negative time, member and duration");
        }

        return this;
    }

    /// <summary>The spec: <c>key=value</c> pairs separated by ';'.</summary>
    public override string ToString()
    {
        var spec = new StringBuilder();
        spec.Append(CultureInfo.InvariantCulture, $"seed={Seed};members={Members};items={Items};session={Ms(SessionTimeout)};");
        spec.Append(CultureInfo.InvariantCulture, $"boundary={Ms(TimeBoundary)};reaction={Ms(MaxReactionTime)};latency={Ms(LatencyMax)};");
        spec.Append(CultureInfo.InvariantCulture, $"release={Ms(ReleaseDelayMax)};phase={Ms(FaultPhase)};watches={WatchMode};");
        spec.Append(CultureInfo.InvariantCulture, $"frame={FrameBytesMax};stale={StaleFolders};drift={ClockDriftPermille};");
        if (Servers != 1)
        {
            spec.Append(CultureInfo.InvariantCulture, $"servers={Servers};");
        }

        if (KazooMembers != 0)
        {
            spec.Append(CultureInfo.InvariantCulture, $"kazoo={KazooMembers};");
        }

        if (TransientPermille != 0)
        {
            spec.Append(CultureInfo.InvariantCulture, $"transients={TransientPermille};");
        }

        if (Rebalance != PartyRebalance.Eager)
        {
            spec.Append(CultureInfo.InvariantCulture, $"rebalance={Rebalance.ToString().ToLowerInvariant()};");
        }

        spec.Append("faults=").AppendJoin(',', Faults.Select(f => f.ToString()));
        return spec.ToString();
    }

    /// <summary>Reads a spec written by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException">The spec is malformed; the message names the bad part.</exception>
    public static Scenario Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in spec.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new FormatException($"scenario part '{pair}' is not key=value");
            }

            values[pair[..eq]] = pair[(eq + 1)..];
        }

        string Get(string key) => values.TryGetValue(key, out var v) ? v : throw new FormatException($"scenario spec lacks '{key}='");
        long Number(string key) => long.TryParse(Get(key), NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n : throw new FormatException($"scenario value {key}='{Get(key)}' is not a whole number");
        TimeSpan Millis(string key) => TimeSpan.FromMilliseconds(Number(key));

        // Keys added later are optional, so that specs printed before them still replay.
        long Optional(string key, long fallback) => values.ContainsKey(key) ? Number(key) : fallback;

        var faults = values.GetValueOrDefault("faults", string.Empty)
            .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(FaultEvent.Parse)
            .ToImmutableArray();
        return new Scenario
        {
            Seed = ulong.TryParse(Get("seed"), NumberStyles.None, CultureInfo.InvariantCulture, out var seed)
                ? seed : throw new FormatException($"scenario value seed='{Get("seed")}' is not a whole number"),
            Members = (int)Number("members"),
            Items = (int)Number("items"),
            SessionTimeout = Millis("session"),
            TimeBoundary = Millis("boundary"),
            MaxReactionTime = Millis("reaction"),
            LatencyMax = Millis("latency"),
            ReleaseDelayMax = Millis("release"),
            FaultPhase = Millis("phase"),
            Servers = values.ContainsKey("servers") ? (int)Number("servers") : 1,
            WatchMode = Enum.TryParse<WatchReconnectMode>(values.GetValueOrDefault("watches", "Rearm"), out var mode)
                ? mode : throw new FormatException($"scenario value watches='{values["watches"]}' is not Rearm or FireDisconnected"),
            FrameBytesMax = (int)Math.Clamp(Optional("frame", FrameBytesDefault), 0, int.MaxValue),
            StaleFolders = (int)Math.Clamp(Optional("stale", 0), 0, int.MaxValue),
            ClockDriftPermille = (int)Math.Clamp(Optional("drift", 0), 0, int.MaxValue),
            TransientPermille = (int)Math.Clamp(Optional("transients", 0), 0, int.MaxValue),
            KazooMembers = (int)Math.Clamp(Optional("kazoo", 0), 0, int.MaxValue),
            Rebalance = ParseRebalance(values.GetValueOrDefault("rebalance", "eager")),
            Faults = faults,
        }.Validate();
    }

    /// <summary>Reads a rebalance mode as the spec and the command line write it: eager, cooperative or mixed.</summary>
    /// <exception cref="FormatException">The text is none of them; the message names it.</exception>
    public static PartyRebalance ParseRebalance(string text) => text switch
    {
        "eager" => PartyRebalance.Eager,
        "cooperative" => PartyRebalance.Cooperative,
        "mixed" => PartyRebalance.Mixed,
        _ => throw new FormatException($"scenario value rebalance='{text}' is not eager, cooperative or mixed"),
    };

    private static long Ms(TimeSpan value) => (long)value.TotalMilliseconds;

    private static void Require(bool ok, string name, object value, string rule)
    {
        if (!ok)
        {
            throw new ArgumentException($"{name} = {Convert.ToString(value, CultureInfo.InvariantCulture)} {rule}", name);
        }
    }
}
