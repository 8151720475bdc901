using ZooKeeper.Client;

namespace Partitioner.Tests.Client;

/// <summary>
/// The client's timing rules, which the client and the simulator's model of it both take from
/// <see cref="SessionTimings"/>: the read timeout is two thirds of the session timeout, and a ping goes out after a
/// third of it without a send, at most every 10 s.
/// </summary>
public sealed class SessionTimingsTests
{
    [Theory]
    [InlineData(6_000, 4_000)]
    [InlineData(3_000, 2_000)]
    [InlineData(30_000, 20_000)]
    public void ReadTimeout_IsTwoThirdsOfTheSessionTimeout(int sessionMs, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), SessionTimings.ReadTimeout(TimeSpan.FromMilliseconds(sessionMs)));
    }

    [Fact]
    public void ReadTimeout_OfATimeoutNotDivisibleByThree_IsRoundedToTheNearestTick()
    {
        // 10 s is 100,000,000 ticks; two thirds of it is 66,666,666.67 ticks.
        Assert.Equal(TimeSpan.FromTicks(66_666_667), SessionTimings.ReadTimeout(TimeSpan.FromSeconds(10)));
    }

    [Theory]
    [InlineData(6_000, 2_000)]
    [InlineData(3_000, 1_000)]
    [InlineData(29_400, 9_800)]
    public void PingInterval_IsAThirdOfTheSessionTimeout(int sessionMs, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), SessionTimings.PingInterval(TimeSpan.FromMilliseconds(sessionMs)));
    }

    [Theory]
    [InlineData(30_000)]
    [InlineData(40_000)]
    [InlineData(120_000)]
    public void PingInterval_OfALongSession_IsAtMostTenSeconds(int sessionMs)
    {
        Assert.Equal(TimeSpan.FromSeconds(10), SessionTimings.PingInterval(TimeSpan.FromMilliseconds(sessionMs)));
    }
}
