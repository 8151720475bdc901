using Partitioner.Simulation;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Tests.Simulation;

/// <summary>A server, a network and simulated clients, driven step by step, for the model's own tests.</summary>
internal sealed class ModelHarness
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    public ModelHarness(ulong seed = 1, TimeSpan? latency = null, int frameBytesMax = Scenario.FrameBytesDefault, int serverDriftPpm = 0, int servers = 1)
    {
        var random = new SimRandom(seed);
        Server = new InMemoryZooKeeper(Scheduler, random.Fork(), TimeSpan.FromMilliseconds(500)) { ClockDriftPpm = serverDriftPpm };
        var oneWay = latency ?? TimeSpan.FromMilliseconds(5);
        Network = new SimNetwork(Scheduler, random.Fork(), Server, oneWay, oneWay, servers) { FrameBytesMax = frameBytesMax };
    }

    public SimScheduler Scheduler { get; } = new();

    public InMemoryZooKeeper Server { get; }

    public SimNetwork Network { get; }

    public List<string> Events { get; } = new();

    /// <summary>A connected client in its own process; its session changes are recorded in <see cref="Events"/>.</summary>
    public (SimulatedClientPort Client, SimProcess Process) Connect(string name, WatchReconnectMode mode = WatchReconnectMode.Rearm)
    {
        var process = new SimProcess(Scheduler, name);
        var clock = new VirtualTimeProvider(Scheduler, process, 0);
        var client = new SimulatedClientPort(Network, process, clock, Timeout, mode);
        client.SessionChanged += change => Events.Add($"{name} {change}");
        bool connected = false;
        client.Start(() => connected = true);
        RunFor(TimeSpan.FromMilliseconds(100));
        Assert.True(connected, $"{name} did not connect");
        return (client, process);
    }

    /// <summary>A connected client whose connection went to a follower (reconnecting until one does).</summary>
    public (SimulatedClientPort Client, SimProcess Process) ConnectToFollower(string name)
    {
        var (client, process) = Connect(name);
        for (int attempt = 0; client.Follower is null && attempt < 50; attempt++)
        {
            client.ResetConnection();
            RunFor(TimeSpan.FromMilliseconds(600));
        }

        Assert.NotNull(client.Follower);
        Events.Clear();
        return (client, process);
    }

    public void RunFor(TimeSpan span)
    {
        var until = Scheduler.NowTicks + span.Ticks;
        while (Scheduler.Step(until))
        {
        }
    }

    /// <summary>Runs until <paramref name="task"/> completes (bounded by 10 simulated seconds) and returns its result.</summary>
    public T Await<T>(Task<T> task)
    {
        var until = Scheduler.NowTicks + TimeSpan.FromSeconds(10).Ticks;
        while (!task.IsCompleted && Scheduler.Step(until))
        {
        }

        Assert.True(task.IsCompletedSuccessfully, "the request did not complete within 10 simulated seconds");
        return task.Result;
    }
}
