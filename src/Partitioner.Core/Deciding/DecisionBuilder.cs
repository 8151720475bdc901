using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// One call of <see cref="Decider.Decide"/> in progress: the state as it evolves and the commands it
/// asks for. It lives only inside that call, so its mutation never escapes: Decide stays a pure function.
/// </summary>
/// <remarks>
/// Once the member is in Failure the builder takes no more phase changes and no more commands: a handler
/// that fails half-way through a batch cannot undo the failure by carrying on.
/// </remarks>
internal sealed class DecisionBuilder
{
    private readonly ImmutableArray<Command>.Builder _commands = ImmutableArray.CreateBuilder<Command>();
    private long _nextId;

    public DecisionBuilder(MemberState state)
    {
        State = state;
        _nextId = state.NextId;
    }

    /// <summary>This decision's edit: the collections it makes it may change in place until it returns.</summary>
    public Edit Edit { get; } = new();

    /// <summary>The state so far.</summary>
    public MemberState State { get; private set; }

    public PartitionerConfig Config => State.Config;

    public LockLedger Ledger => State.Ledger;

    public Phase Phase => State.Phase;

    public bool IsFailed => State.PartitionState == PartitionState.Failure;

    /// <summary>A fresh op or timer id.</summary>
    public long NewId() => _nextId++;

    public void Emit(Command command)
    {
        if (!IsFailed)
        {
            _commands.Add(command);
        }
    }

    public void SetPhase(Phase phase)
    {
        if (!IsFailed)
        {
            State = State.InPhase(phase);
        }
    }

    public void SetLedger(LockLedger ledger) => State = State.WithLedger(ledger);

    /// <summary>Records one fact through one of <see cref="MemberState"/>'s evolve methods (the only way its fields change).</summary>
    public void Evolve(Func<MemberState, MemberState> fact) => State = fact(State);

    /// <summary>Moves to <paramref name="next"/> owning <paramref name="owned"/>; the state id grows by one when the state actually changes.</summary>
    public void MoveTo(PartitionState next, ImmutableArray<OwnedItem> owned)
    {
        if (!IsFailed)
        {
            State = State.MovedTo(next, owned);
        }
    }

    /// <summary>As <see cref="MoveTo(PartitionState, ImmutableArray{OwnedItem})"/>, where <paramref name="names"/> are the owned items' names in order (kept, not copied).</summary>
    public void MoveTo(PartitionState next, ImmutableArray<OwnedItem> owned, ImmutableArray<string> names)
    {
        if (!IsFailed)
        {
            State = State.MovedTo(next, owned, names);
        }
    }

    /// <summary>Enters Failure (terminal) with <paramref name="reason"/>; the last change a decision may make.</summary>
    public void Terminate(string reason)
    {
        if (!IsFailed)
        {
            State = State.Failed(reason);
        }
    }

    public Decision ToDecision() => _commands.Count == 0 && _nextId == State.NextId
        ? new Decision(State, [])
        : new Decision(State.IdsTakenUpTo(_nextId), _commands.ToImmutable());
}
