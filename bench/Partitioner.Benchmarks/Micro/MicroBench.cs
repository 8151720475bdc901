using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// <c>micro</c>: BenchmarkDotNet's figures for code that runs in this process (Core's allocation, the partition functions, the jute codec, the
/// simulator, the event log), with a short job (BenchmarkDotNet's ShortRun: one launch, three warm-up and three
/// measured iterations) and the memory diagnoser. Arguments after <c>micro</c> go to BenchmarkDotNet
/// (<c>--filter *EventLog*</c>, ...); without a filter every benchmark runs. <c>--dry</c> runs each benchmark once
/// (BenchmarkDotNet's Dry job), as CI does to see that they all still run.
/// </summary>
/// <remarks>
/// The benchmarks run in this process (BenchmarkDotNet's in-process toolchain) unless <c>--out-of-process</c> is
/// given: the default toolchain builds a child project for each run, which costs a build of the whole solution per
/// benchmark class on this 2-core machine; in-process figures differ from it only by the host process.
/// </remarks>
internal static class MicroBench
{
    public static int Run(string[] args)
    {
        bool outOfProcess = args.Contains("--out-of-process");
        bool dry = args.Contains("--dry");
        var rest = args.Where(a => a is not ("--out-of-process" or "--dry")).ToList();
        if (!rest.Contains("--filter"))
        {
            rest.AddRange(["--filter", "*"]);
        }

        // A dry run does each benchmark once, without warm-up: its figures mean nothing, but CI sees every benchmark still runs.
        var job = dry ? Job.Dry : Job.ShortRun;
        if (!outOfProcess)
        {
            job = job.WithToolchain(InProcessEmitToolchain.Instance);
        }

        var config = DefaultConfig.Instance.AddJob(job.AsDefault()).AddColumn(StepColumn.Instance);
        var summaries = BenchmarkSwitcher
            .FromTypes([typeof(CoreAllocationBenchmarks), typeof(JuteMultiBenchmarks), typeof(SimulatorBenchmarks), typeof(EventLogBenchmarks), typeof(PartitionFunctionBenchmarks)])
            .Run([.. rest], config);
        return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
    }
}
