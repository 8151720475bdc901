using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

public sealed class OwnershipTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new() { SessionTimeout = TimeSpan.FromSeconds(9) };
    private readonly ScriptedDecider _decider = new()
    {
        OnDecide = (state, e) => e is SessionReconnected ? state.To(PartitionState.Acquired, "a", "c").Then() : state.Then(),
    };

    [Fact]
    public void AcquiredItems_WhenServerSilentForTwoThirdsOfSessionTimeout_ClaimsNothingThoughCoreSaysAcquired()
    {
        // Given a member that Core says owns a and c, having just heard from the server.
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.LastHeardTimestamp = _time.GetTimestamp();
        _port.ChangeSession(SessionChange.Reconnected);
        Assert.True(partitioner.Acquired);
        Assert.Equal(["a", "c"], partitioner.AcquiredItems);

        // When just under 2/3 of the 9-second session timeout passes in silence, it still owns them.
        _time.Advance(TimeSpan.FromSeconds(6) - TimeSpan.FromTicks(1));
        Assert.Equal(["a", "c"], partitioner.AcquiredItems);

        // When 6 seconds have passed (a paused process, a cut network), the session may be gone:
        // it claims nothing, while Core's state is unchanged until the session events come.
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.False(partitioner.Acquired);
        Assert.Empty(partitioner.AcquiredItems);
        Assert.Empty(partitioner);
        Assert.Equal(PartitionState.Acquired, partitioner.State);
    }

    [Fact]
    public void AcquiredItems_WhenServerHeardAgain_ClaimsTheItemsAgain()
    {
        // Given a member that went silent for 7 seconds while Core says Acquired.
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.ChangeSession(SessionChange.Reconnected);
        _time.Advance(TimeSpan.FromSeconds(7));
        Assert.Empty(partitioner.AcquiredItems);

        // When it hears from the server again.
        _port.LastHeardTimestamp = _time.GetTimestamp();

        // Then it owns its items again.
        Assert.True(partitioner.Acquired);
        Assert.Equal(["a", "c"], partitioner);
    }

    [Fact]
    public void AcquiredItems_OutsideAcquired_IsEmptyEvenWithItemsInCoreState()
    {
        // Given a (deliberately odd) Core state in Release that still lists items.
        _decider.OnDecide = (state, _) => (state with { State = PartitionState.Release, StateId = 1, AcquiredItems = ["a"] }).Then();
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.ChangeSession(SessionChange.Suspended);

        // Then the partitioner claims nothing.
        Assert.True(partitioner.Release);
        Assert.Empty(partitioner.AcquiredItems);
    }
}
