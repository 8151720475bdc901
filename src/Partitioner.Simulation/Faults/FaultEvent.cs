using System.Globalization;

namespace Partitioner.Simulation.Faults;

/// <summary>
/// One scheduled fault. <paramref name="Member"/> picks a member by index among those present when the
/// fault fires (modulo their number), so that shrinking a scenario never leaves a fault without a target.
/// </summary>
/// <param name="At">When the fault fires, from the start of the run.</param>
/// <param name="Kind">What happens.</param>
/// <param name="Member">Which member, as an index among the present members (ignored by whole-server faults and joins).</param>
/// <param name="Duration">How long it lasts (partition, pause, server downtime, restart delay, release delay).</param>
public sealed record FaultEvent(TimeSpan At, FaultKind Kind, int Member, TimeSpan Duration)
{
    /// <summary>The compact form used in scenario specs: <c>at_ms:Kind:member:duration_ms</c>.</summary>
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"{(long)At.TotalMilliseconds}:{Kind}:{Member}:{(long)Duration.TotalMilliseconds}");

    /// <summary>Parses the compact form written by <see cref="ToString"/>.</summary>
    /// <exception cref="FormatException"><paramref name="text"/> is not in that form; the message quotes it.</exception>
    public static FaultEvent Parse(string text)
    {
        var parts = text.Split(':');
        if (parts.Length != 4
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var at)
            || !Enum.TryParse<FaultKind>(parts[1], ignoreCase: false, out var kind)
            || !int.TryParse(parts[2], NumberStyles.None, CultureInfo.InvariantCulture, out var member)
            || !long.TryParse(parts[3], NumberStyles.None, CultureInfo.InvariantCulture, out var duration))
        {
            throw new FormatException($"fault '{text}' is not at_ms:Kind:member:duration_ms");
        }

        return new FaultEvent(TimeSpan.FromMilliseconds(at), kind, member, TimeSpan.FromMilliseconds(duration));
    }
}
