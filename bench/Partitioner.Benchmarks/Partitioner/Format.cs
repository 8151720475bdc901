using System.Globalization;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>How figures are printed: invariant culture, milliseconds under ten seconds.</summary>
internal static class Format
{
    public static string Duration(double seconds) => double.IsNaN(seconds)
        ? "-"
        : seconds < 10
            ? (seconds * 1000).ToString("0.0", CultureInfo.InvariantCulture) + " ms"
            : seconds.ToString("0.00", CultureInfo.InvariantCulture) + " s";

    public static string Ratio(double kazoo, double ours) =>
        double.IsNaN(kazoo) || double.IsNaN(ours) || ours <= 0
            ? "-"
            : (kazoo / ours).ToString(kazoo / ours < 10 ? "0.0" : "0", CultureInfo.InvariantCulture) + "x";

    public static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    public static string Megabytes(long bytes) =>
        (bytes / (1024.0 * 1024.0)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB";
}
