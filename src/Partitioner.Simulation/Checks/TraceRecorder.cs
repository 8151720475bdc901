using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Partitioner.Simulation.Checks;

/// <summary>
/// The run's trace: every line (server operations, session changes, state changes, faults) feeds a
/// SHA-256 hash, a stable digest that two runs of the same scenario must agree on; the readable lines
/// (faults, session and state changes) are also kept as the timeline.
/// </summary>
/// <remarks>
/// A run traces hundreds of thousands of lines, so each is stamped and encoded straight into a buffer that is
/// hashed a block at a time, without a stamped string per line: SHA-256 of the same bytes in bigger pieces
/// is the same hash, so the digest is byte for byte the one of "stamp, space, line, newline" per line.
/// </remarks>
public sealed class TraceRecorder
{
    /// <summary>Bytes gathered before they are hashed; a line longer than the buffer grows it.</summary>
    private const int BufferBytes = 32 * 1024;

    /// <summary>
    /// Below this many ticks (115 days) a time's seconds as a double are far enough from a rounding boundary that
    /// integer rounding gives the double formatting's digits (see <see cref="TryFormatTime"/>).
    /// </summary>
    private const long FastFormatTicksMax = 100_000_000_000_000;

    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> _timeline = new();
    private byte[] _buffer = new byte[BufferBytes];
    private int _used;
    private List<string>? _detail;
    private Func<TimeSpan> _now = () => TimeSpan.Zero;

    /// <summary>The readable lines, each starting with its virtual time.</summary>
    public IReadOnlyList<string> TimelineLines => _timeline;

    /// <summary>Every line, detail included, when <see cref="KeepDetail"/> was called first; else empty.</summary>
    public IReadOnlyList<string> DetailLines => _detail ?? (IReadOnlyList<string>)Array.Empty<string>();

    /// <summary>Keeps every line from now on, server operations included (for tests; costs memory).</summary>
    public void KeepDetail() => _detail ??= new List<string>();

    /// <summary>How many lines fed the hash.</summary>
    public long LineCount { get; private set; }

    /// <summary>Records a line in the hash only (detail).</summary>
    public void Detail(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        LineCount++;
        Span<char> stamp = stackalloc char[32];
        int length = Stamp(_now(), stamp);
        Append(stamp[..length], line);
        _detail?.Add(string.Concat(stamp[..length], " ", line));
    }

    /// <summary>Records a line in the hash and the timeline.</summary>
    public void Timeline(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        LineCount++;
        Span<char> stamp = stackalloc char[32];
        int length = Stamp(_now(), stamp);
        Append(stamp[..length], line);
        var stamped = string.Concat(stamp[..length], " ", line);
        _timeline.Add(stamped);
        _detail?.Add(stamped);
    }

    /// <summary>The hash of every line so far, as lowercase hex.</summary>
    public string Hash()
    {
        Flush();
        return Convert.ToHexStringLower(_hash.GetCurrentHash());
    }

    /// <summary>Formats a virtual time the way the timeline does: seconds with milliseconds.</summary>
    public static string FormatTime(TimeSpan time)
    {
        Span<char> text = stackalloc char[32];
        return TryFormatTime(time, text, out int written)
            ? new string(text[..written])
            : string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds,9:0.000}s");
    }

    internal void UseClock(Func<TimeSpan> clock) => _now = clock;

    /// <summary>
    /// Writes <c>{seconds,9:0.000}s</c> with integer arithmetic where that gives the same digits as formatting the
    /// double: a time of whole ticks is at least a tick from the half-millisecond the rounding turns on, unless it is
    /// exactly on it, which (like negative times and very long ones) is left to the double formatting.
    /// </summary>
    private static bool TryFormatTime(TimeSpan time, Span<char> text, out int written)
    {
        written = 0;
        long ticks = time.Ticks;
        if (ticks < 0 || ticks >= FastFormatTicksMax || ticks % 10_000 == 5_000)
        {
            return false;
        }

        long milliseconds = (ticks + 5_000) / 10_000;
        Span<char> digits = stackalloc char[24];
        int length = 0;
        long fraction = milliseconds % 1000;
        // Gathered lowest digit first, then reversed into place.
        digits[length++] = (char)('0' + (fraction % 10));
        digits[length++] = (char)('0' + (fraction / 10 % 10));
        digits[length++] = (char)('0' + (fraction / 100));
        digits[length++] = '.';
        long whole = milliseconds / 1000;
        do
        {
            digits[length++] = (char)('0' + (whole % 10));
            whole /= 10;
        }
        while (whole > 0);

        int pad = Math.Max(0, 9 - length);
        text[..pad].Fill(' ');
        for (int i = 0; i < length; i++)
        {
            text[pad + i] = digits[length - 1 - i];
        }

        text[pad + length] = 's';
        written = pad + length + 1;
        return true;
    }

    private static int Stamp(TimeSpan time, Span<char> into)
    {
        if (TryFormatTime(time, into, out int written))
        {
            return written;
        }

        var slow = FormatTime(time);
        slow.AsSpan().CopyTo(into);
        return slow.Length;
    }

    private void Append(ReadOnlySpan<char> stamp, string line)
    {
        // The stamp is ASCII; the line may not be, so it gets its worst-case UTF-8 length.
        int most = stamp.Length + 1 + Encoding.UTF8.GetMaxByteCount(line.Length) + 1;
        if (_buffer.Length - _used < most)
        {
            Flush();
            if (_buffer.Length < most)
            {
                _buffer = new byte[most];
            }
        }

        for (int i = 0; i < stamp.Length; i++)
        {
            _buffer[_used++] = (byte)stamp[i];
        }

        _buffer[_used++] = (byte)' ';
        _used += Encoding.UTF8.GetBytes(line, _buffer.AsSpan(_used));
        _buffer[_used++] = (byte)'\n';
    }

    private void Flush()
    {
        if (_used > 0)
        {
            _hash.AppendData(_buffer, 0, _used);
            _used = 0;
        }
    }
}
