using System.Globalization;

namespace Partitioner.Simulation;

/// <summary>
/// The simulator's one source of randomness: SplitMix64, written out here so that a seed gives
/// the same numbers on every .NET version and machine (System.Random's algorithm is not a contract).
/// </summary>
public sealed class SimRandom
{
    private ulong _state;

    /// <summary>Starts the sequence for <paramref name="seed"/>.</summary>
    public SimRandom(ulong seed) => _state = seed;

    /// <summary>The next 64 random bits.</summary>
    public ulong NextUInt64()
    {
        _state += 0x9E3779B97F4A7C15UL;
        ulong z = _state;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A number in [0, <paramref name="maxExclusive"/>).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxExclusive"/> is not positive.</exception>
    public int Next(int maxExclusive)
    {
        if (maxExclusive <= 0)
        {
            throw new ArgumentOutOfRangeException(nameof(maxExclusive), maxExclusive, "must be positive");
        }

        return (int)(NextUInt64() % (ulong)maxExclusive);
    }

    /// <summary>A number in [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public long Between(long min, long max) =>
        max <= min ? min : min + (long)(NextUInt64() % (ulong)(max - min + 1));

    /// <summary>A duration in [<paramref name="min"/>, <paramref name="max"/>], to the tick.</summary>
    public TimeSpan Between(TimeSpan min, TimeSpan max) => TimeSpan.FromTicks(Between(min.Ticks, max.Ticks));

    /// <summary>True with probability <paramref name="probability"/>.</summary>
    public bool Chance(double probability) => (NextUInt64() >> 11) * (1.0 / (1UL << 53)) < probability;

    /// <summary>32 lowercase hex digits, the form of a contender prefix (Python's <c>uuid4().hex</c>).</summary>
    public string NextHex32() =>
        NextUInt64().ToString("x16", CultureInfo.InvariantCulture) + NextUInt64().ToString("x16", CultureInfo.InvariantCulture);

    /// <summary>An independent stream derived from this one, so that drawing from one part of the
    /// simulation does not shift the numbers another part sees.</summary>
    public SimRandom Fork() => new(NextUInt64());
}
