using Partitioner.Core;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Running;
using Partitioner.ZooKeeper;

namespace Partitioner.Tests.Simulation.Kazoo;

/// <summary>
/// kazoo's eight tests of <c>test_partitioner.py</c>, run as scripted scenarios in the simulator with the
/// real SetPartitioner: one shared session, items "0".."n-1", a 0.2 s time boundary. Single owner and
/// lock agreement are checked after every simulated step throughout.
/// </summary>
public sealed class KazooPartitionerScenarios
{
    private static readonly TimeSpan Boundary = TimeSpan.FromSeconds(0.2);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(0.1);

    [Fact]
    public void PartyOfOne_AcquiresEveryItem()
    {
        var party = new SimulatedParty(seed: 1, items: 3, Boundary);
        var p = party.Create($"{Environment.MachineName}-{Environment.ProcessId}");

        Assert.True(party.WaitForAcquire(p));

        Assert.Equal(PartitionState.Acquired, p.State);
        Assert.Equal(["0", "1", "2"], p.AcquiredItems);
        Finish(party, p);
        Assert.True(p.Failed);
    }

    [Fact]
    public void PartyOfTwo_SplitsTheSet_AndAFinishMovesTheOtherToRelease()
    {
        var party = new SimulatedParty(seed: 2, items: 2, Boundary);
        var p0 = party.Create("0");
        var p1 = party.Create("1");
        Assert.True(party.WaitForAcquire(p0, p1));
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);

        Finish(party, p0);
        party.RunFor(Wait);

        Assert.True(p1.Release);
        Finish(party, p1);
    }

    [Fact]
    public void PartyExpansion_MovesBothToRelease_SignalsTheirStateChange_ThenSplitsInThree()
    {
        // Given "0" and "1" sharing three items
        var party = new SimulatedParty(seed: 3, items: 3, Boundary);
        var p0 = party.Create("0");
        var p1 = party.Create("1");
        Assert.True(party.WaitForAcquire(p0, p1));
        Assert.Equal(["0", "2"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);

        // When "2" joins (kazoo clears both state_change_events first)
        bool changed0 = false, changed1 = false;
        p0.StateChanged += (_, _) => changed0 = true;
        p1.StateChanged += (_, _) => changed1 = true;
        var p2 = party.Create("2");
        party.RunFor(Wait);

        // Then both are in Release and their state change was signalled (the check kazoo's test meant to make)
        Assert.True(p0.Release);
        Assert.True(p1.Release);
        Assert.True(changed0);
        Assert.True(changed1);

        // And after releasing, the three split the set
        party.Do(() => { _ = p0.ReleaseSetAsync(); _ = p1.ReleaseSetAsync(); });
        Assert.True(party.WaitForAcquire(p0, p1, p2));
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);
        Assert.Equal(["2"], p2.AcquiredItems);
    }

    [Fact]
    public void MoreMembersThanItems_TheSecondAcquiresNothing()
    {
        var party = new SimulatedParty(seed: 4, items: 1, Boundary);
        var p0 = party.Create("0");
        var p1 = party.Create("1");

        Assert.True(party.WaitForAcquire(p0, p1));

        Assert.Equal(PartitionState.Acquired, p0.State);
        Assert.Equal(PartitionState.Acquired, p1.State);
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.Empty(p1.AcquiredItems);
    }

    [Fact]
    public void SessionFailure_EndsInFailure_AndReleaseSetLeavesItThere()
    {
        // kazoo calls the private _fail_out(); its cause in production is a lost session, so expire it.
        var party = new SimulatedParty(seed: 5, items: 3, Boundary);
        var p = party.Create("0");
        Assert.True(party.WaitForAcquire(p));

        party.Server.ExpireSession(party.SharedSession.SessionId, forced: true);
        Assert.True(party.RunUntil(() => p.Failed, TimeSpan.FromSeconds(5)));
        party.Do(() => _ = p.ReleaseSetAsync());
        party.RunFor(Wait);

        Assert.True(p.Failed);
    }

    [Fact]
    public void ConnectionLoss_MovesAllToRelease_ThenTheyReacquire_AndStillExpand()
    {
        var party = new SimulatedParty(seed: 6, items: 3, Boundary);
        var p0 = party.Create("0");
        var p1 = party.Create("1");
        Assert.True(party.WaitForAcquire(p0, p1));

        // When the shared connection drops and comes back
        party.SharedSession.ResetConnection();
        Assert.True(party.RunUntil(() => party.SharedSession.State == ClientState.Connected && p0.Release && p1.Release, TimeSpan.FromSeconds(15)));

        // Then both are in Release; after release_set they get the same shares back
        party.Do(() => { _ = p0.ReleaseSetAsync(); _ = p1.ReleaseSetAsync(); });
        Assert.True(party.WaitForAcquire(p0, p1));
        Assert.Equal(["0", "2"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);

        // And a third member still re-splits the set
        var p2 = party.Create("2");
        party.RunFor(Wait);
        Assert.True(p0.Release);
        Assert.True(p1.Release);
        party.Do(() => { _ = p0.ReleaseSetAsync(); _ = p1.ReleaseSetAsync(); });
        Assert.True(party.WaitForAcquire(p0, p1, p2));
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);
        Assert.Equal(["2"], p2.AcquiredItems);
    }

    [Fact]
    public void NewPartitionerDuringLockAcquisition_AbortsAndReallocates_WithoutDeadlock()
    {
        // kazoo delays every lock by 3 s; here another client holds lock "1", so "0" takes lock "0" and waits.
        var party = new SimulatedParty(seed: 7, items: 2, Boundary);
        var outsider = HoldLock(party, "1");
        var p0 = party.Create("0");
        party.RunFor(TimeSpan.FromSeconds(1));
        Assert.True(p0.Allocating);

        // When "1" joins while "0" waits, and the outsider lets go a little later
        var p1 = party.Create("1");
        party.RunFor(TimeSpan.FromSeconds(0.5));
        Release(party, outsider);

        // Then both end Acquired with one item each: no deadlock
        Assert.True(party.WaitForAcquire(p0, p1));
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);
    }

    [Fact]
    public void NewPartitionerTakesTheLockTheWaiterWanted_TheWaiterReallocates()
    {
        // kazoo: the first lock on a path is slow, so "1" takes lock "1" while "0" still waits for it.
        var party = new SimulatedParty(seed: 8, items: 2, Boundary);
        var outsider = HoldLock(party, "1");
        var p0 = party.Create("0");
        party.RunFor(TimeSpan.FromSeconds(1));

        // When "1" joins and the lock "0" waited for is freed at once
        var p1 = party.Create("1");
        Release(party, outsider);

        Assert.True(party.WaitForAcquire(p0, p1));
        Assert.Equal(["0"], p0.AcquiredItems);
        Assert.Equal(["1"], p1.AcquiredItems);
    }

    private static void Finish(SimulatedParty party, SetPartitioner p)
    {
        Task? finishing = null;
        party.Do(() => finishing = p.FinishAsync());
        Assert.True(party.RunUntil(() => finishing!.IsCompleted, TimeSpan.FromSeconds(5)));
    }

    private static (SimulatedClientPort Session, string Node) HoldLock(SimulatedParty party, string item)
    {
        var session = party.NewSession();
        string? node = null;
        foreach (var path in new[] { "/partitioner", "/partitioner/locks", $"/partitioner/locks/{item}" })
        {
            Run(party, session.CreateAsync(path, default, NodeKind.Persistent));
        }

        var created = Run(party, session.CreateAsync($"/partitioner/locks/{item}/{new string('f', 32)}__lock__", default, NodeKind.EphemeralSequential));
        node = created.CreatedPath;
        Assert.NotNull(node);
        return (session, node!);
    }

    private static void Release(SimulatedParty party, (SimulatedClientPort Session, string Node) holder) =>
        Assert.Equal(ZooKeeperError.Ok, Run(party, holder.Session.DeleteAsync(holder.Node)));

    private static T Run<T>(SimulatedParty party, Task<T> task)
    {
        Assert.True(party.RunUntil(() => task.IsCompleted, TimeSpan.FromSeconds(5)));
        return task.GetAwaiter().GetResult();
    }
}
