using System.CommandLine;
using Partitioner.Cli;
using Partitioner.Cli.Worker;

// `partitioner`: the simulator and the replayer from the command line.
var root = new RootCommand("Partitioner: divide a set of items among the live members of a ZooKeeper party.")
{
    SimulateCommand.Create(),
    ReplayCommand.Create(),
    WorkerCommand.Create(),
};
return root.Parse(args).Invoke();
