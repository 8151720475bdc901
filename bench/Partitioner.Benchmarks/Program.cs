using Partitioner.Benchmarks.Client;
using Partitioner.Benchmarks.Partitioner;

// One executable, one subcommand per benchmark.
return args switch
{
    ["partitioner", .. var rest] => await PartitionerBench.RunAsync(rest),
    ["rebalance", .. var rest] => await HandOffMode.RunAsync(rest),
    ["client", .. var rest] => await ClientBench.RunAsync(rest),
    ["simulate", .. var rest] => Partitioner.Benchmarks.Simulation.SimulationBench.Run(rest),
    ["assignment", .. var rest] => Partitioner.Benchmarks.Assignment.AssignmentBench.Run(rest),
    ["micro", .. var rest] => Partitioner.Benchmarks.Micro.MicroBench.Run(rest),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: Partitioner.Benchmarks partitioner [--short] [--connect HOST:PORT]");
    Console.Error.WriteLine("       Partitioner.Benchmarks rebalance [--short] [--runs N] [--time-boundary-ms N] [--connect HOST:PORT]");
    Console.Error.WriteLine("       Partitioner.Benchmarks client [--short] [--connect HOST:PORT]");
    Console.Error.WriteLine("       Partitioner.Benchmarks simulate [--short]");
    Console.Error.WriteLine("       Partitioner.Benchmarks assignment [--short]");
    Console.Error.WriteLine("       Partitioner.Benchmarks micro [--out-of-process] [BenchmarkDotNet's options, e.g. --filter *EventLog*]");
    return 2;
}
