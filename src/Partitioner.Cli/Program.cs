using System.CommandLine;
using Partitioner.Cli;
using Partitioner.Cli.Input;
using Partitioner.Cli.Inspect;
using Partitioner.Cli.Worker;

// `partitioner`: the simulator, the replayer, a worker and the inspector from the command line.
var root = new RootCommand("Partitioner: divide a set of items among the live members of a ZooKeeper party.")
{
    SimulateCommand.Create(),
    ReplayCommand.Create(),
    WorkerCommand.Create(),
    InspectCommand.Create(),
};
return CommandLineRunner.Run(root, args);
