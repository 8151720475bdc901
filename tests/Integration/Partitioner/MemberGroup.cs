using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// The C# members of one test, all in one rebalance mode, on the shared client unless given their own; disposing
/// stops every loop, finishes every member still running and closes every client, so a failing test leaves no session
/// behind.
/// </summary>
/// <remarks>
/// A member either has the test as its consumer (eager only: <see cref="Settle"/> releases it when it is in Release,
/// as kazoo's tests do) or runs a loop of the group's with a work of <see cref="Ledger"/>'s: <see cref="SetPartitioner.RunAsync"/>
/// in eager mode when asked for, <see cref="SetPartitioner.RunItemsAsync"/> always in cooperative mode, which needs per-item
/// work.
/// </remarks>
internal sealed class MemberGroup : IAsyncDisposable
{
    private readonly List<SetPartitioner> _members = [];
    private readonly List<ZooKeeperClient> _clients = [];
    private readonly Dictionary<SetPartitioner, (CancellationTokenSource Stop, Task Task)> _loops = [];

    private MemberGroup(ZooKeeperClient shared, string path, RebalanceMode mode)
    {
        Shared = shared;
        Path = path;
        Mode = mode;
        _clients.Add(shared);
    }

    /// <summary>The client the members share, as kazoo's tests share one.</summary>
    public ZooKeeperClient Shared { get; }

    /// <summary>The party's root znode.</summary>
    public string Path { get; }

    /// <summary>The rebalance mode of every member (with the function <see cref="PartitionerTestKit.Options"/> gives it).</summary>
    public RebalanceMode Mode { get; }

    /// <summary>What the loops' works did (and, in cooperative mode, every member's item ownership events).</summary>
    public WorkLedger Ledger { get; } = new();

    /// <summary>The members, in the order they were added.</summary>
    public IReadOnlyList<SetPartitioner> Members => _members;

    public static async Task<MemberGroup> Connect(string connectString, string path, RebalanceMode mode = RebalanceMode.Eager) =>
        new(await PartitionerTestKit.Connect(connectString), path, mode);

    /// <summary>Adds a member on the shared client.</summary>
    /// <param name="identifier">The member's identifier.</param>
    /// <param name="items">The items.</param>
    /// <param name="prefix">The contender prefix; a fresh one when null.</param>
    /// <param name="workStopDelay">How long the member's work takes to stop once told to. With a value, or always in
    /// cooperative mode (then zero when null), the member runs a loop of the group's; otherwise the test is its consumer.</param>
    public SetPartitioner Add(string? identifier, ImmutableArray<string> items, string? prefix = null, TimeSpan? workStopDelay = null) =>
        Add(Shared, identifier, items, prefix, workStopDelay);

    /// <summary>Adds a member on <paramref name="client"/>, which the group closes at the end; otherwise as the other overload.</summary>
    public SetPartitioner Add(
        ZooKeeperClient client, string? identifier, ImmutableArray<string> items, string? prefix = null, TimeSpan? workStopDelay = null)
    {
        if (!_clients.Contains(client))
        {
            _clients.Add(client);
        }

        var member = new SetPartitioner(client, Path, items, Options(identifier, prefix, Mode));
        _members.Add(member);
        if (Mode == RebalanceMode.Cooperative || workStopDelay is not null)
        {
            Run(member, workStopDelay ?? TimeSpan.Zero);
        }

        return member;
    }

    /// <summary>
    /// Waits until <paramref name="members"/>, the whole party, are all Acquired at once, each with exactly its share of
    /// that party under the group's function (<see cref="PartitionerTestKit.Share"/>), and the loops' works run on exactly
    /// their members' shares (failing at once on works that overlap); releases the members the test is the consumer of
    /// while they are in Release. Returns the
    /// shares in the members' order, as they were at that instant (see <see cref="SharesWhileAcquired"/>).
    /// </summary>
    /// <remarks>
    /// An exact cover alone is not settled in cooperative mode: a member keeps its items through the stability wait,
    /// so a newcomer can be Acquired with nothing beside members that still hold everything.
    /// </remarks>
    public async Task<IReadOnlyList<IReadOnlyList<string>>> Settle(
        IReadOnlyList<SetPartitioner> members, IReadOnlyCollection<string> items, TimeSpan? within = null)
    {
        var party = members.Select(m => m.Config.Identifier).ToList();
        var expected = party.Select(identifier => Share(Mode, identifier, party, items)).ToList();
        IReadOnlyList<IReadOnlyList<string>>? shares = null;
        await EventuallyDescribed(
            members,
            async () =>
            {
                ThrowIfALoopBroke(members);
                Ledger.AssertNoOverlap(); // an overlap would also keep the works from matching: name it
                await ReleaseWhereDue(members, within);
                shares = SharesWhileAcquired(members);
                return shares is not null && shares.Zip(expected).All(s => s.First.Order(StringComparer.Ordinal).SequenceEqual(s.Second)) && WorksMatch(members, shares);
            },
            $"{string.Join(", ", party.Zip(expected, (p, e) => $"{p} [{string.Join(',', e)}]"))} Acquired with their works running",
            within);
        return shares!;
    }

    /// <summary><see cref="Eventually(Func{Task{bool}}, string, TimeSpan?)"/>, whose failure also says what each member was doing.</summary>
    private async Task EventuallyDescribed(IReadOnlyList<SetPartitioner> members, Func<Task<bool>> condition, string what, TimeSpan? within)
    {
        try
        {
            await Eventually(condition, what, within);
        }
        catch (Xunit.Sdk.FailException failed)
        {
            var working = Ledger.Snapshot();
            var seen = members.Select(m =>
                $"{m.Config.Identifier}: {m.State} {m.FailureReason} claims [{string.Join(',', m.AcquiredItems)}] " +
                $"works on [{string.Join(',', working.Where(w => w.Value == m.Config.Identifier).Select(w => w.Key).Order(StringComparer.Ordinal))}]");
            throw new InvalidOperationException($"{failed.Message}; last seen: {string.Join("; ", seen)}", failed);
        }
    }

    /// <summary>Plays the consumer of the members without a loop: releases those in Release.</summary>
    public Task ReleaseWhereDue(IReadOnlyList<SetPartitioner> members, TimeSpan? within = null) =>
        Task.WhenAll(members.Where(m => m.Release && !_loops.ContainsKey(m)).Select(m => m.ReleaseSetAsync())).WaitAsync(within ?? WaitMax);

    /// <summary>Makes <paramref name="member"/> leave the party: its loop is cancelled and awaited, or it finishes.</summary>
    public async Task Leave(SetPartitioner member)
    {
        if (_loops.TryGetValue(member, out var loop))
        {
            await loop.Stop.CancelAsync();
            await loop.Task.WaitAsync(WaitMax);
        }
        else
        {
            await member.FinishAsync().WaitAsync(WaitMax);
        }
    }

    /// <summary>Stops every loop and waits for each; a loop's error is thrown, except the Failure a test may cause on purpose.</summary>
    public async Task StopLoops()
    {
        foreach (var loop in _loops.Values)
        {
            await loop.Stop.CancelAsync();
        }

        foreach (var loop in _loops.Values)
        {
            try
            {
                await loop.Task.WaitAsync(WaitMax);
            }
            catch (PartitionerFailedException)
            {
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var loop in _loops.Values)
        {
            await loop.Stop.CancelAsync();
        }

        // The test has asserted what it meant to; a loop's end here is only waited for.
        await Task.WhenAll(_loops.Values.Select(l => l.Task)).WaitAsync(WaitMax).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await Task.WhenAll(_members.Select(m => m.DisposeAsync().AsTask())).WaitAsync(WaitMax);
        await Task.WhenAll(_clients.Select(c => c.CloseAsync()));
        foreach (var loop in _loops.Values)
        {
            loop.Stop.Dispose();
        }
    }

    private void Run(SetPartitioner member, TimeSpan stopDelay)
    {
        var owner = member.Config.Identifier;
        var stop = new CancellationTokenSource();
        Task task;
        if (Mode == RebalanceMode.Cooperative)
        {
            Ledger.Listen(member);
            task = member.RunItemsAsync(Ledger.ItemWork(owner, stopDelay), stop.Token);
        }
        else
        {
            task = member.RunAsync(Ledger.Work(owner, stopDelay), stop.Token);
        }

        _loops.Add(member, (stop, task));
    }

    /// <summary>True when every member that runs a loop has a work running on each item of its share, and on no other.</summary>
    private bool WorksMatch(IReadOnlyList<SetPartitioner> members, IReadOnlyList<IReadOnlyList<string>> shares)
    {
        var working = Ledger.Snapshot();
        return members.Zip(shares).Where(m => _loops.ContainsKey(m.First)).All(m =>
            working.Where(w => w.Value == m.First.Config.Identifier).Select(w => w.Key).Order(StringComparer.Ordinal).SequenceEqual(m.Second.Order(StringComparer.Ordinal)));
    }

    /// <summary>A loop that ended with an error other than Failure will never settle: fail with its error at once.</summary>
    private void ThrowIfALoopBroke(IReadOnlyList<SetPartitioner> members)
    {
        foreach (var member in members)
        {
            if (_loops.TryGetValue(member, out var loop) && loop.Task is { IsFaulted: true } broken
                && broken.Exception!.GetBaseException() is not PartitionerFailedException)
            {
                throw new InvalidOperationException($"the loop of {member.Config.Identifier} ended with an error", broken.Exception);
            }
        }
    }
}
