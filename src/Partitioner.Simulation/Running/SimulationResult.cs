using Partitioner.Simulation.Checks;

namespace Partitioner.Simulation.Running;

/// <summary>How a run ended.</summary>
public enum SimulationOutcome
{
    /// <summary>Every check held and the party converged within the bound.</summary>
    Passed = 0,

    /// <summary>The model's assertions or the code under test threw, or the run did not end (exit code 1; 2 is the CLI's bad input).</summary>
    Crash = 1,

    /// <summary>The party did not converge within the bound after the last fault (exit code 3).</summary>
    LivenessViolation = 3,

    /// <summary>Single owner or lock agreement failed (exit code 4).</summary>
    SafetyViolation = 4,
}

/// <summary>What a run found.</summary>
public sealed record SimulationResult
{
    /// <summary>The scenario run.</summary>
    public required Scenario Scenario { get; init; }

    /// <summary>How it ended.</summary>
    public required SimulationOutcome Outcome { get; init; }

    /// <summary>The failed check; null when the run passed.</summary>
    public Violation? Violation { get; init; }

    /// <summary>SHA-256 of the whole trace; the same scenario must always give the same hash.</summary>
    public required string TraceHash { get; init; }

    /// <summary>The readable timeline: faults, session changes, state changes and ownership.</summary>
    public required IReadOnlyList<string> Timeline { get; init; }

    /// <summary>Scheduler steps run; the checks ran after each.</summary>
    public required long Steps { get; init; }

    /// <summary>Virtual time at the end of the run.</summary>
    public required TimeSpan SimulatedTime { get; init; }

    /// <summary>When the last fault's effect ended.</summary>
    public required TimeSpan QuietAt { get; init; }

    /// <summary>When every present member was Acquired with the set covered once; null if never after the faults.</summary>
    public TimeSpan? ConvergedAt { get; init; }

    /// <summary>
    /// How often an item was seen owned twice because an operator had deleted its holder's lock node (see the
    /// OperatorDeletesLock fault): reported apart, since no member can know of that in time; 0 without that fault.
    /// </summary>
    public int OperatorOverlaps { get; init; }

    /// <summary>
    /// How many lock-agreement checks failed only because an operator had deleted the claim's lock node under
    /// its holder (reported apart, as <see cref="OperatorOverlaps"/> are); 0 without that fault.
    /// </summary>
    public int OperatorLockExemptions { get; init; }

    /// <summary>
    /// How often a member took an item that a kazoo-like member still claimed on a session the server had ended (kazoo
    /// has no deadline of its own and no fencing): reported apart, not a violation; 0 without kazoo members.
    /// </summary>
    public int KazooOverlaps { get; init; }

    /// <summary>
    /// Why the run was not asked to converge: an item held by a kazoo-like member's node that it does not own the item
    /// by (kazoo's leaked contender, #732, or a lock taken after its release); null when convergence was asked.
    /// </summary>
    public string? KazooLivenessExcuse { get; init; }

    /// <summary>Cooperative members: how many times an item's work began (an item assigned); 0 in an eager party.</summary>
    public int ItemsAssigned { get; init; }

    /// <summary>Cooperative members: how many items were given up in an orderly hand-off (each an item that moved).</summary>
    public int ItemsRevoked { get; init; }

    /// <summary>Cooperative members: how many items' work stopped as lost (the member could no longer vouch for its locks, or left).</summary>
    public int ItemsLost { get; init; }

    /// <summary>How many of the members' requests the leader answered with an injected transient code (the TransientReplies fault).</summary>
    public int TransientReplies { get; init; }

    /// <summary>Writes the fenced store accepted (each consumer's registrations and its writes during the work).</summary>
    public long StoreWritesAccepted { get; init; }

    /// <summary>Writes the fenced store refused: their token was below the highest it had seen for the item (a stale owner's).</summary>
    public long StoreWritesRefused { get; init; }

    /// <summary>How often an item's work began in one member while it still ran in another (reported, not a failure: the store is fenced).</summary>
    public int WorkOverlaps { get; init; }

    /// <summary>The longest stretch during which an item's work ran in two members at once.</summary>
    public TimeSpan WorkOverlapLongest { get; init; }

    /// <summary>Every trace line, the server's operations included, when <see cref="SimulationOptions.KeepDetailLines"/> was set; else empty.</summary>
    public IReadOnlyList<string> DetailLines { get; init; } = Array.Empty<string>();

    /// <summary>The members' event logs by file name (empty unless recorded).</summary>
    public required IReadOnlyDictionary<string, string> EventLogs { get; init; }

    /// <summary>The process exit code for this outcome.</summary>
    public int ExitCode => (int)Outcome;

    /// <summary>Writes every event log into <paramref name="directory"/> (created if needed); returns the paths written.</summary>
    public IReadOnlyList<string> WriteEventLogs(string directory)
    {
        Directory.CreateDirectory(directory);
        var written = new List<string>();
        foreach (var (name, text) in EventLogs)
        {
            var path = Path.Combine(directory, name);
            File.WriteAllText(path, text);
            written.Add(path);
        }

        return written;
    }
}
