using System.Globalization;

namespace Partitioner.Cli.Input;

/// <summary>Checks of numeric options, each refusal naming the option and the value.</summary>
internal static class Numbers
{
    /// <summary>A number of seconds, zero or more (or more than zero when <paramref name="positive"/>).</summary>
    public static TimeSpan Seconds(double value, string option, bool positive = false)
    {
        bool valid = double.IsFinite(value) && (positive ? value > 0 : value >= 0) && value <= TimeSpan.FromDays(1).TotalSeconds;
        return valid
            ? TimeSpan.FromSeconds(value)
            : throw new BadInputException(string.Create(CultureInfo.InvariantCulture,
                $"{option} {value} is not a number of seconds {(positive ? "more than zero" : "zero or more")} (at most a day)"));
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public static int InRange(int value, string option, int min, int max) =>
        value >= min && value <= max
            ? value
            : throw new BadInputException(string.Create(CultureInfo.InvariantCulture, $"{option} {value} is not between {min} and {max}"));
}
