using Partitioner.Simulation;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Tests.Simulation.Scheduling;

public sealed class SchedulerTests
{
    [Fact]
    public void Step_RunsActionsByTimeThenByOrderOfScheduling()
    {
        var scheduler = new SimScheduler();
        var order = new List<string>();
        scheduler.Schedule(TimeSpan.FromSeconds(2), () => order.Add($"late at {scheduler.Now}"));
        scheduler.Schedule(TimeSpan.FromSeconds(1), () => order.Add($"first at {scheduler.Now}"));
        scheduler.Schedule(TimeSpan.FromSeconds(1), () => order.Add($"second at {scheduler.Now}"));

        while (scheduler.Step(TimeSpan.FromSeconds(3).Ticks))
        {
        }

        Assert.Equal(["first at 00:00:01", "second at 00:00:01", "late at 00:00:02"], order);
    }

    [Fact]
    public void PausedProcess_RunsNothingUntilResumedThenCatchesUpInOrder()
    {
        var scheduler = new SimScheduler();
        var process = new SimProcess(scheduler, "p");
        var clock = new VirtualTimeProvider(scheduler, process, 0);
        var fired = new List<TimeSpan>();
        using var timer = clock.CreateTimer(_ => fired.Add(scheduler.Now), null, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        process.Pause();
        scheduler.Schedule(TimeSpan.FromSeconds(5), process.Resume);

        while (scheduler.Step(TimeSpan.FromSeconds(6.5).Ticks))
        {
        }

        // The tick due at 1 s waited until the resume at 5 s; then the timer ran on from there.
        Assert.Equal([TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(6)], fired);
    }

    [Fact]
    public void CrashedProcess_NeverRunsAgain()
    {
        var scheduler = new SimScheduler();
        var process = new SimProcess(scheduler, "p");
        bool ran = false;
        scheduler.Schedule(TimeSpan.FromSeconds(1), () => ran = true, process);
        process.Crash();

        while (scheduler.Step(TimeSpan.FromSeconds(3).Ticks))
        {
        }

        Assert.False(ran);
    }

    [Fact]
    public void Timer_ChangeAndDispose_MoveAndCancelTheCallback()
    {
        var scheduler = new SimScheduler();
        var clock = new VirtualTimeProvider(scheduler, null, 1234);
        var fired = new List<TimeSpan>();
        var timer = clock.CreateTimer(_ => fired.Add(scheduler.Now), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        timer.Change(TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        var disposed = clock.CreateTimer(_ => fired.Add(TimeSpan.MinValue), null, TimeSpan.FromSeconds(2), Timeout.InfiniteTimeSpan);
        disposed.Dispose();

        while (scheduler.Step(TimeSpan.FromSeconds(3).Ticks))
        {
        }

        Assert.Equal([TimeSpan.FromSeconds(3)], fired);
        Assert.Equal(1234 + TimeSpan.FromSeconds(3).Ticks, clock.GetTimestamp());
    }

    [Fact]
    public void SimRandom_SameSeed_SameNumbers_AndKnownFirstValue()
    {
        var a = new SimRandom(42);
        var b = new SimRandom(42);

        var first = a.NextUInt64();

        // SplitMix64's first output for seed 42, computed apart from this code (Vigna's reference algorithm, transcribed in Python).
        Assert.Equal(0xBDD732262FEB6E95UL, first);
        Assert.Equal(first, b.NextUInt64());
        Assert.Equal(32, a.NextHex32().Length);
    }

    [Fact]
    public void Schedule_FromAnotherThread_IsDroppedAndRecorded()
    {
        var scheduler = new SimScheduler();
        bool ran = false;
        var thread = new Thread(() => scheduler.Schedule(TimeSpan.Zero, () => ran = true));
        thread.Start();
        thread.Join();

        while (scheduler.Step(TimeSpan.FromSeconds(1).Ticks))
        {
        }

        Assert.False(ran);
        Assert.StartsWith($"scheduled from thread {thread.ManagedThreadId}, not the simulation's thread", scheduler.ForeignThreadError);
    }
}
