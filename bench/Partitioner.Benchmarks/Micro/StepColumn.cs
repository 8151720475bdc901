using System.Collections.Concurrent;
using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// The mean divided by the steps a benchmark does per call (a simulator run's steps, a log's lines), which are known
/// only once its setup has run; empty for benchmarks that record none. It reads what the setups recorded in this
/// process, so it is filled in-process only.
/// </summary>
internal sealed class StepColumn : IColumn
{
    private static readonly ConcurrentDictionary<string, (long Count, string Unit)> Steps = new(StringComparer.Ordinal);

    public static StepColumn Instance { get; } = new();

    public string Id => nameof(StepColumn);

    public string ColumnName => "Step";

    public bool AlwaysShow => true;

    public ColumnCategory Category => ColumnCategory.Statistics;

    public int PriorityInCategory => 100;

    public bool IsNumeric => true;

    public UnitType UnitType => UnitType.Time;

    public string Legend => "Mean divided by the steps (simulator steps, log lines) of one call";

    /// <summary>Records that one call of <paramref name="method"/> does <paramref name="count"/> of <paramref name="unit"/> ("steps", "lines").</summary>
    public static void Record(Type type, string method, long count, string unit) => Steps[type.Name + "." + method] = (count, unit);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        var key = benchmarkCase.Descriptor.Type.Name + "." + benchmarkCase.Descriptor.WorkloadMethod.Name;
        if (!Steps.TryGetValue(key, out var steps) || summary[benchmarkCase]?.ResultStatistics is not { } statistics)
        {
            return "-";
        }

        double nanoseconds = statistics.Mean / steps.Count;
        return string.Create(CultureInfo.InvariantCulture, $"{nanoseconds / 1000:0.00} μs ({steps.Count} {steps.Unit})");
    }

    public bool IsAvailable(Summary summary) => true;

    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;
}
