namespace Partitioner.Cli;

/// <summary>
/// The exit codes every command shares. Codes 3 to 5 mean something per command and are defined next to it
/// (<see cref="SimulateCommand"/>, <see cref="ReplayCommand"/>, <see cref="Worker.WorkerCommand"/>).
/// </summary>
internal static class ExitCodes
{
    /// <summary>Done, nothing wrong found.</summary>
    public const int Ok = 0;

    /// <summary>The command itself failed (an exception it did not expect; simulate: the simulator crashed or ran away).</summary>
    public const int Crash = 1;

    /// <summary>A bad argument or input: one line on stderr names it.</summary>
    public const int BadInput = 2;

    /// <summary>worker and inspect: no server answered within the connect timeout.</summary>
    public const int ConnectFailed = 4;
}
