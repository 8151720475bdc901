using Partitioner.ZooKeeper;

namespace Partitioner.Tests.Shell;

/// <summary>
/// Members of one party running Core's real decider over one in-memory ZooKeeper (<see cref="ZooKeeperTree"/>, a
/// <see cref="TreePort"/> each), on one manual clock. The n-th member to join has session n, whose 32 hex digits are
/// its contender prefix, a 1-second time boundary and the items c, a, b unless the test gives others.
/// </summary>
internal sealed class TreeParty(string path = "/party")
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(100);
    private long _sessions;

    public ManualTimeProvider Time { get; } = new();

    public ZooKeeperTree Tree { get; } = new();

    /// <summary>The contender prefix of the member whose session is <paramref name="session"/>.</summary>
    public static string Prefix(long session) => session.ToString("x32", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A new member with a session of its own; <paramref name="tuning"/> sets the options the test varies.</summary>
    public (SetPartitioner Partitioner, TreePort Port) Join(string identifier, string[]? items = null, Action<SetPartitionerOptions>? tuning = null)
    {
        var session = ++_sessions;
        var port = new TreePort(Tree, session, Time);
        var options = new SetPartitionerOptions
        {
            Identifier = identifier,
            ContenderPrefix = Prefix(session),
            TimeProvider = Time,
            TimeBoundary = TimeSpan.FromSeconds(1),
        };
        tuning?.Invoke(options);
        return (new SetPartitioner(port, path, items ?? ["c", "a", "b"], options), port);
    }

    /// <summary>Lets virtual time pass in small steps until the condition holds (at most a minute of it).</summary>
    public void Settle(Func<bool> condition)
    {
        for (var step = 0; step < 600 && !condition(); step++)
        {
            Time.Advance(Step);
        }

        Assert.True(condition(), "the members did not settle within a virtual minute");
    }

    /// <summary>
    /// As <see cref="Settle"/>, giving the works and the loops, which go on asynchronously, a moment between steps
    /// (until the condition holds, at most 20 ms a step and <see cref="Waits.HangGuard"/> in all).
    /// </summary>
    public async Task SettleAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + Waits.HangGuard;
        for (var step = 0; step < 600 && !condition(); step++)
        {
            Time.Advance(Step);
            for (var spin = 0; spin < 20 && !condition() && DateTime.UtcNow < deadline; spin++)
            {
                await Task.Delay(1);
            }
        }

        Assert.True(condition(), "the members did not settle within a virtual minute");
    }
}
