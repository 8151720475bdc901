using System.Collections.Immutable;
using System.Diagnostics;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// Core's decider alone: one member acquiring N items, driven by a bare loop over <see cref="InstantPort"/>
/// (results fed straight back, timers fired when nothing else is queued), on one thread. Its figure is this
/// process's CPU for the run (Core's decisions and the port's few dictionary operations): CPU rather than wall
/// time, which on a busy machine mostly measures the wait for a core. Set beside <see cref="InstantBench"/>,
/// it splits Core's cost from the shell's.
/// </summary>
internal sealed class CoreOnlyBench(BenchContext context)
{
    private const int DecisionsMax = 1_000_000;

    /// <summary>CPU seconds from the start to Acquired, one per timed run, after a warm-up.</summary>
    public List<double> Run(int items)
    {
        // The item names are the caller's, made before the CPU is read (as for Core and the shell).
        var names = MemberHarness.Items(items);
        // The warm-up run records the requests Core sent, for the port to answer again alone (see PortAlone).
        var requests = new List<Command>();
        RunOnce(names, (_, decision) => requests.AddRange(decision.Commands.Where(command => command is ZooKeeperCommand)));
        var seconds = new List<double>();
        var portSeconds = new List<double>();
        var portAllocated = new List<double>();
        var allocated = new List<double>();
        var collections = new List<double>();
        var paused = new List<double>();
        for (int run = 0; run < context.Mode.OurRepetitions; run++)
        {
            long bytes = GC.GetTotalAllocatedBytes(precise: true);
            int gcs = GC.CollectionCount(0);
            var pause = GC.GetTotalPauseDuration();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            RunOnce(names);
            seconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            allocated.Add(GC.GetTotalAllocatedBytes(precise: true) - bytes);
            collections.Add(GC.CollectionCount(0) - gcs);
            paused.Add((GC.GetTotalPauseDuration() - pause).TotalSeconds);
            bytes = GC.GetTotalAllocatedBytes(precise: true);
            cpu = Process.GetCurrentProcess().TotalProcessorTime;
            PortAlone(requests);
            portSeconds.Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
            portAllocated.Add(GC.GetTotalAllocatedBytes(precise: true) - bytes);
        }

        context.Progress($"core alone acquire {items,6}: CPU median {Format.Duration(Median.Of(seconds))}; a run allocates {Format.Megabytes((long)Median.Of(allocated))} in {Median.Of(collections):0} collections pausing {Format.Duration(Median.Of(paused))}");
        context.Progress($"port alone  {items,6}: the in-memory port answering the same {requests.Count} requests with no member: CPU median {Format.Duration(Median.Of(portSeconds))}, allocates {Format.Megabytes((long)Median.Of(portAllocated))}; "
            + $"so Core's share of the runs above is about {Format.Duration(Median.Of(seconds) - Median.Of(portSeconds))} (medians' difference)");
        return seconds;
    }

    /// <summary>One run from the start to Acquired; the micro benchmarks run it too, and record its decisions through <paramref name="observe"/>.</summary>
    internal static void RunOnce(int items, Action<Event?, Decision>? observe = null) => RunOnce(MemberHarness.Items(items), observe);

    /// <summary>One run from the start to Acquired over the caller's item names (made before any CPU is read).</summary>
    internal static void RunOnce(string[] items, Action<Event?, Decision>? observe = null)
    {
        var config = PartitionerConfig.Create(
            "/core", items, "solo", new string('a', 32), TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(1));
        var port = new InstantPort();
        var queue = new Queue<Event>();
        var timers = new SortedSet<long>();
        var decision = Decider.Start(config);
        observe?.Invoke(null, decision);
        Execute(port, decision.Commands, queue, timers);
        for (int i = 0; decision.State.PartitionState != PartitionState.Acquired; i++)
        {
            if (i == DecisionsMax || (queue.Count == 0 && timers.Count == 0))
            {
                throw new InvalidOperationException($"Core did not reach Acquired: {decision.State.PartitionState} {decision.State.FailureReason}");
            }

            var next = queue.Count > 0 ? queue.Dequeue() : FireFirst(timers);
            decision = Decider.Decide(decision.State, next);
            observe?.Invoke(next, decision);
            Execute(port, decision.Commands, queue, timers);
        }
    }

    /// <summary>
    /// A fresh port answering <paramref name="requests"/> in order, its answers dropped: the port's own cost in a run,
    /// with no decision made. The same requests on a fresh port get the same answers as in the member's run.
    /// </summary>
    private static void PortAlone(List<Command> requests)
    {
        var port = new InstantPort();
        var dropped = new DroppingSink();
        foreach (var request in requests)
        {
            port.Send((ZooKeeperCommand)request, dropped);
        }
    }

    private static TimerFired FireFirst(SortedSet<long> timers)
    {
        long id = timers.Min;
        timers.Remove(id);
        return new TimerFired(id);
    }

    /// <summary>Runs the commands against the port and queues their results, as the shell's loop would.</summary>
    private static void Execute(InstantPort port, ImmutableArray<Command> commands, Queue<Event> queue, SortedSet<long> timers)
    {
        var answers = new QueueSink(queue);
        foreach (var command in commands.IsDefault ? [] : commands)
        {
            switch (command)
            {
                case StartTimer c:
                    timers.Add(c.TimerId);
                    break;
                case CancelTimer c:
                    timers.Remove(c.TimerId);
                    break;
                case ZooKeeperCommand request:
                    // The instant port answers inside the call, with Core's event.
                    port.Send(request, answers);
                    break;
                default:
                    throw new InvalidOperationException($"The benchmark's loop cannot run the command {command}.");
            }
        }
    }

    /// <summary>Drops the port's answers: only the port's own cost is measured.</summary>
    private sealed class DroppingSink : IRequestSink
    {
        public void Complete(OperationCompleted completed)
        {
        }

        public void Notify(WatchFired fired)
        {
        }
    }

    /// <summary>Queues the port's answers for the loop; the instant port leaves no watches.</summary>
    private sealed class QueueSink(Queue<Event> queue) : IRequestSink
    {
        public void Complete(OperationCompleted completed) => queue.Enqueue(completed);

        public void Notify(WatchFired fired) => queue.Enqueue(fired);
    }
}
