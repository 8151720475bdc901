using Partitioner.Core;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Faults;

/// <summary>How the leader answers one request that draws a transient code (see <see cref="TransientReplies"/>).</summary>
/// <param name="Code">The code the reply carries.</param>
/// <param name="Applied">Whether the request was carried out before the code was given (an OperationTimeout's outcome is unknown).</param>
/// <param name="Inside">Whether the code is in one read of a multiRead, the others answered as usual.</param>
/// <param name="Index">Which read of the multiRead (modulo their number) when <paramref name="Inside"/>.</param>
internal readonly record struct TransientReply(ZooKeeperError Code, bool Applied, bool Inside, int Index);

/// <summary>
/// The leader's transient answers (the TransientReplies fault of the fault model): during the fault phase each
/// request of a member's session draws, at the scenario's rate, ThrottledOp or SessionMoved (the request is not
/// carried out), OperationTimeout (carried out or not, half and half: its outcome is unknown) or, in a multiRead,
/// ConnectionLoss or another of these codes for one of its reads alone. A TransientReplies fault raises one
/// member's rate to <see cref="BurstPermille"/> for its duration. Drawn from a stream of its own.
/// </summary>
internal sealed class TransientReplies
{
    /// <summary>The rate, in parts per thousand of requests, during a TransientReplies fault.</summary>
    public const int BurstPermille = 300;

    private static readonly ZooKeeperError[] WholeCodes = [ZooKeeperError.ThrottledOp, ZooKeeperError.SessionMoved, ZooKeeperError.OperationTimeout];

    private static readonly ZooKeeperError[] InsideCodes =
        [ZooKeeperError.ConnectionLoss, ZooKeeperError.ThrottledOp, ZooKeeperError.SessionMoved, ZooKeeperError.OperationTimeout];

    private readonly SimScheduler _scheduler;
    private readonly SimRandom _random;
    private readonly TraceRecorder _trace;
    private readonly int _permille;
    private readonly long _phaseEndTicks;
    private readonly Dictionary<string, long> _burstUntilTicks = new(StringComparer.Ordinal);

    public TransientReplies(SimScheduler scheduler, SimRandom random, TraceRecorder trace, int permille, TimeSpan phaseEnd)
    {
        _scheduler = scheduler;
        _random = random;
        _trace = trace;
        _permille = permille;
        _phaseEndTicks = phaseEnd.Ticks;
    }

    /// <summary>How many replies carried an injected code.</summary>
    public int Injected { get; private set; }

    /// <summary>Raises <paramref name="member"/>'s rate to <see cref="BurstPermille"/> until <paramref name="until"/>.</summary>
    public void Burst(string member, TimeSpan until) => _burstUntilTicks[member] = Math.Max(_burstUntilTicks.GetValueOrDefault(member), until.Ticks);

    /// <summary>
    /// Draws the answer to one request of <paramref name="member"/> at the leader: null (most of the time) for the usual
    /// answer. <paramref name="multiRead"/> allows a code inside one read; <paramref name="write"/> lets OperationTimeout
    /// be given after the write was carried out.
    /// </summary>
    public TransientReply? Draw(string member, string op, string? path, bool write, bool multiRead)
    {
        long now = _scheduler.NowTicks;
        int rate = now < _phaseEndTicks ? _permille : 0;
        if (_burstUntilTicks.Count > 0 && _burstUntilTicks.TryGetValue(member, out var until) && now < until)
        {
            rate = Math.Max(rate, BurstPermille);
        }

        if (rate == 0 || _random.Next(1000) >= rate)
        {
            return null;
        }

        bool inside = multiRead && _random.Chance(0.5);
        var code = inside ? InsideCodes[_random.Next(InsideCodes.Length)] : WholeCodes[_random.Next(WholeCodes.Length)];
        bool applied = !inside && write && code == ZooKeeperError.OperationTimeout && _random.Chance(0.5);
        Injected++;
        var what = inside ? $"one read of {member}'s {op}" : $"{member}'s {op}{(path is null ? "" : " " + path)}";
        _trace.Timeline($"fault: the leader answers {what} with {code}{(inside ? "" : applied ? " (carried out)" : " (not carried out)")}");
        return new TransientReply(code, applied || inside, inside, inside ? _random.Next(int.MaxValue) : 0);
    }
}
