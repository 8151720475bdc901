using System.Collections.Immutable;
using Partitioner.Core;

namespace Partitioner.Tests.Support.Core;

/// <summary>One member under test: its state, its session, its running timers and every command it asked for.</summary>
internal sealed class TestMember(long session, MemberState state)
{
    public long Session { get; } = session;

    public MemberState State { get; set; } = state;

    public SortedSet<long> Timers { get; } = [];

    public List<Command> Commands { get; } = [];

    /// <summary>Every event handed to the member, in order.</summary>
    public List<Event> Delivered { get; } = [];

    /// <summary>Commands for the shell that are neither ZooKeeper requests nor timers, in the order decided, until a test takes them.</summary>
    public Queue<Command> Notifications { get; } = [];

    /// <summary>When true, events wait in the inbox until released; used to interleave members by hand.</summary>
    public bool Paused { get; set; }

    public string[] Acquired => [.. State.AcquiredItems];
}

/// <summary>
/// Members against one <see cref="ScriptedZooKeeper"/>: commands run as soon as they are decided, results come
/// back through each session's inbox, and timers fire only when the test says so. Everything is synchronous
/// and in a fixed order, so a test reads as a script.
/// </summary>
internal sealed class Cluster
{
    private const int StepsMax = 100_000;
    private long _nextSession = 1;

    public ScriptedZooKeeper Zk { get; } = new();

    public List<TestMember> Members { get; } = [];

    /// <summary>Called after every event a member decided, with that member; properties check invariants here.</summary>
    public Action<TestMember>? AfterEachDecision { get; set; }

    public TestMember Join(PartitionerConfig config)
    {
        var start = Decider.Start(config);
        var member = new TestMember(_nextSession++, start.State);
        Members.Add(member);
        Run(member, start.Commands);
        return member;
    }

    /// <summary>Hands <paramref name="event"/> to the member now, then runs its commands.</summary>
    public Decision Deliver(TestMember member, Event @event)
    {
        var decision = Decider.Decide(member.State, @event);
        member.Delivered.Add(@event);
        member.State = decision.State;
        Run(member, decision.Commands);
        AfterEachDecision?.Invoke(member);
        return decision;
    }

    /// <summary>Delivers queued results and notifications until every inbox of a running member is empty.</summary>
    public void Settle()
    {
        for (int steps = 0; steps < StepsMax; steps++)
        {
            var member = Members.FirstOrDefault(m => !m.Paused && Zk.Inbox(m.Session).Count > 0);
            if (member is null)
            {
                return;
            }

            Deliver(member, Zk.Inbox(member.Session).Dequeue());
        }

        throw new InvalidOperationException("The cluster did not settle: a loop of commands?");
    }

    /// <summary>Fires every running timer of the member, oldest first, settling after each.</summary>
    public void FireTimers(TestMember member)
    {
        foreach (long timer in member.Timers.ToList())
        {
            if (member.Timers.Remove(timer))
            {
                Deliver(member, new TimerFired(timer));
                Settle();
            }
        }
    }

    /// <summary>Settles and fires timers until no member has one left (a stable party), at most a bounded number of rounds.</summary>
    public void RunUntilQuiet(int roundsMax = 50)
    {
        Settle();
        for (int round = 0; round < roundsMax && Members.Any(m => !m.Paused && m.Timers.Count > 0); round++)
        {
            foreach (var member in Members.Where(m => !m.Paused).ToList())
            {
                FireTimers(member);
            }
        }
    }

    private void Run(TestMember member, ImmutableArray<Command> commands)
    {
        foreach (var command in commands)
        {
            member.Commands.Add(command);
            switch (command)
            {
                case StartTimer start:
                    member.Timers.Add(start.TimerId);
                    break;
                case CancelTimer cancel:
                    member.Timers.Remove(cancel.TimerId);
                    break;
                case ZooKeeperCommand zk:
                    Zk.Execute(member.Session, zk);
                    break;
                default:
                    member.Notifications.Enqueue(command);
                    break;
            }
        }
    }
}
