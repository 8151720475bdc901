namespace Partitioner.Integration.Partitioner;

/// <summary>
/// The child processes one test class started: disposing it disposes (kills) each, so that a failing test leaves no
/// member process behind to hold locks in the next one.
/// </summary>
internal sealed class ChildProcesses : IDisposable
{
    private readonly List<ChildProcess> _started = [];

    /// <summary>Keeps <paramref name="child"/> to be disposed with the others; returns it.</summary>
    public ChildProcess Add(ChildProcess child)
    {
        _started.Add(child);
        return child;
    }

    public void Dispose()
    {
        foreach (var child in _started)
        {
            child.Dispose();
        }
    }
}
