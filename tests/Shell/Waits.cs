namespace Partitioner.Tests.Shell;

/// <summary>
/// How the shell's tests wait for what another thread does: never for a set time, always for a condition or a task,
/// with <see cref="HangGuard"/> only as the bound past which a test that hangs fails instead of running forever.
/// </summary>
internal static class Waits
{
    /// <summary>Far longer than anything waited for takes; reached only when the shell hangs.</summary>
    public static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(20);

    /// <summary>Returns once <paramref name="condition"/> holds; fails the test if it has not within <see cref="HangGuard"/>.</summary>
    public static async Task WaitUntil(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + HangGuard;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "the condition never held");
            await Task.Delay(5);
        }
    }

    /// <summary>A task that completes when <paramref name="token"/> is cancelled, its continuations off the cancelling thread.</summary>
    public static Task WhenCancelled(CancellationToken token)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        token.Register(cancelled.SetResult);
        return cancelled.Task;
    }
}
