namespace Partitioner.ZooKeeper;

/// <summary>An event log cannot be read: it is truncated, corrupt, of another format version, or needs something the reader lacks.</summary>
public sealed class EventLogFormatException : Exception
{
    /// <summary>Creates the exception for a line of the log.</summary>
    /// <param name="lineNumber">The 1-based line the problem is on.</param>
    /// <param name="problem">What is wrong with the line.</param>
    /// <param name="innerException">The parser's own error, if any.</param>
    public EventLogFormatException(long lineNumber, string problem, Exception? innerException = null)
        : base($"Event log line {lineNumber}: {problem}", innerException)
    {
        LineNumber = lineNumber;
        Problem = problem;
    }

    /// <summary>The 1-based line the problem is on.</summary>
    public long LineNumber { get; }

    /// <summary>What is wrong with the line, without the line number.</summary>
    public string Problem { get; }
}
