namespace Partitioner.Cli.Input;

/// <summary>
/// A bad argument or input (a path, an item, an identifier, a number, a connect string, a file): the command
/// prints its message as one line and exits with <see cref="ExitCodes.BadInput"/>, without a stack trace.
/// The message names the option and the bad value.
/// </summary>
internal sealed class BadInputException(string message) : Exception(message);
