using System.Diagnostics;
using System.Globalization;

namespace Partitioner.Cli.Output;

/// <summary>
/// A one-line progress report of a long run (<c>simulate --runs</c>, the benchmarks) on stderr, redrawn in place
/// at most five times a second. It is shown only on a terminal: not when stderr is redirected, and not when the
/// <c>CI</c> variable is set, so logs stay clean. <c>PARTITIONER_PROGRESS=always</c> or <c>never</c> overrides both.
/// </summary>
internal sealed class Progress : IDisposable
{
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(200);
    private readonly string _label;
    private readonly int _total;
    private readonly TextWriter _writer;
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private TimeSpan? _drawnAt;
    private int _width;

    private Progress(string label, int total, TextWriter writer)
    {
        _label = label;
        _total = total;
        _writer = writer;
    }

    /// <summary>A progress line when one should be shown, else null (every use is then a no-op).</summary>
    public static Progress? Start(string label, int total) =>
        ShouldShow(Console.IsErrorRedirected, Environment.GetEnvironmentVariable("CI"), Environment.GetEnvironmentVariable("PARTITIONER_PROGRESS"))
            ? new Progress(label, total, Console.Error)
            : null;

    /// <summary>Whether to show progress, from whether stderr is redirected and the two variables.</summary>
    public static bool ShouldShow(bool errorRedirected, string? ci, string? setting) => setting switch
    {
        "always" => true,
        "never" => false,
        _ => !errorRedirected && string.IsNullOrEmpty(ci),
    };

    /// <summary>Redraws the line with <paramref name="done"/> of the total, unless it was drawn a moment ago.</summary>
    public void Report(int done, string? detail = null)
    {
        var now = _wall.Elapsed;
        if (_drawnAt is { } drawn && now - drawn < RedrawInterval && done < _total)
        {
            return;
        }

        _drawnAt = now;
        var eta = done > 0 ? TimeSpan.FromTicks(now.Ticks / done * (_total - done)) : TimeSpan.Zero;
        var text = string.Create(CultureInfo.InvariantCulture,
            $"{_label}: {done}/{_total} ({100.0 * done / Math.Max(_total, 1):0}%), {now.TotalSeconds:0} s, about {eta.TotalSeconds:0} s left{(detail is null ? "" : ", " + detail)}");
        _writer.Write("\r" + text.PadRight(_width));
        _width = text.Length;
        _writer.Flush();
    }

    /// <summary>Clears the line, so that what follows starts at the left.</summary>
    public void Dispose()
    {
        _writer.Write("\r" + new string(' ', _width) + "\r");
        _writer.Flush();
    }
}
