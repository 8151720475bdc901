namespace Partitioner.Benchmarks.Partitioner;

/// <summary>What one fault cost, from the fault's start to the party settled again.</summary>
/// <param name="ItemsMoved">Distinct items whose work started in a member other than the one that worked on it last.</param>
/// <param name="Moves">Every such start (an item moved away and back counts twice).</param>
/// <param name="ItemsInterrupted">Distinct items whose work stopped and then started again, in any member.</param>
/// <param name="Interruptions">Every such stop followed by a start.</param>
/// <param name="ItemSecondsLost">Sum over items of the time no member was working on the item.</param>
/// <param name="SettledSeconds">From the fault's start to the last work start or stop before the party was found settled.</param>
internal readonly record struct HandOffFigures(
    int ItemsMoved, int Moves, int ItemsInterrupted, int Interruptions, double ItemSecondsLost, double SettledSeconds);

/// <summary>
/// Every member's per-item work, as start and stop instants on one clock (seconds), taken inside the work callbacks
/// themselves; from them, what a fault cost (<see cref="Measure"/>) and whether the party is settled on a given
/// assignment (<see cref="WorksExactly"/>). Thread-safe: members' works record from their own threads.
/// </summary>
/// <remarks>Memory is one entry per start or stop: bounded by the items times the party changes of one run.</remarks>
internal sealed class WorkLedger
{
    private readonly object _gate = new();
    private readonly List<WorkEvent> _events = [];
    private readonly Dictionary<string, HashSet<string>> _working = new(StringComparer.Ordinal);

    /// <summary>The instant of the last start or stop, NaN before any.</summary>
    public double LastEventAt
    {
        get
        {
            lock (_gate)
            {
                return _events.Count == 0 ? double.NaN : _events[^1].At;
            }
        }
    }

    /// <summary>Records that <paramref name="member"/> started working on <paramref name="item"/> at <paramref name="at"/>.</summary>
    public void Start(string member, string item, double at) => Record(new WorkEvent(member, item, true, at));

    /// <summary>Records that <paramref name="member"/> stopped working on <paramref name="item"/> at <paramref name="at"/>.</summary>
    public void Stop(string member, string item, double at) => Record(new WorkEvent(member, item, false, at));

    private void Record(WorkEvent e)
    {
        lock (_gate)
        {
            var working = _working.TryGetValue(e.Member, out var set) ? set : _working[e.Member] = new(StringComparer.Ordinal);
            if (e.Start ? !working.Add(e.Item) : !working.Remove(e.Item))
            {
                throw new InvalidOperationException(
                    $"Member {e.Member} {(e.Start ? "started" : "stopped")} item {e.Item} twice without the other in between.");
            }

            // Events from several threads may arrive slightly out of order; keep the list sorted by time.
            int at = _events.Count;
            while (at > 0 && _events[at - 1].At > e.At)
            {
                at--;
            }

            _events.Insert(at, e);
        }
    }

    /// <summary>
    /// Whether the members now working are exactly <paramref name="shares"/>: each named member works on exactly its
    /// share, and no other member works on anything.
    /// </summary>
    public bool WorksExactly(IReadOnlyDictionary<string, IReadOnlyCollection<string>> shares)
    {
        lock (_gate)
        {
            foreach (var (member, working) in _working)
            {
                if (working.Count > 0 && !shares.ContainsKey(member))
                {
                    return false;
                }
            }

            return shares.All(share =>
                _working.TryGetValue(share.Key, out var working) && working.Count == share.Value.Count && share.Value.All(working.Contains));
        }
    }

    /// <summary>
    /// What happened to <paramref name="items"/> from <paramref name="from"/> (the fault's start) to
    /// <paramref name="to"/> (the instant the party was found settled): moves and interruptions counted from the
    /// starts and stops inside the window, the time lost as the part of the window each item's works do not cover.
    /// </summary>
    public HandOffFigures Measure(IReadOnlyCollection<string> items, double from, double to)
    {
        if (!(to >= from))
        {
            throw new ArgumentOutOfRangeException(nameof(to), to, $"The window ends before it starts ({from}).");
        }

        lock (_gate)
        {
            var byItem = _events.GroupBy(e => e.Item, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToList(), StringComparer.Ordinal);
            int itemsMoved = 0, moves = 0, itemsInterrupted = 0, interruptions = 0;
            double lost = 0, last = from;
            foreach (string item in items)
            {
                var events = byItem.TryGetValue(item, out var list) ? list : [];
                var (itemMoves, itemInterruptions) = CountChanges(events, from, to);
                moves += itemMoves;
                itemsMoved += itemMoves > 0 ? 1 : 0;
                interruptions += itemInterruptions;
                itemsInterrupted += itemInterruptions > 0 ? 1 : 0;
                lost += (to - from) - Covered(events, from, to);
                last = Math.Max(last, events.Where(e => e.At <= to).Select(e => e.At).DefaultIfEmpty(from).Max());
            }

            return new HandOffFigures(itemsMoved, moves, itemsInterrupted, interruptions, lost, last - from);
        }
    }

    /// <summary>
    /// Starts inside the window in a member other than the item's previous worker (moves), and stops inside the window
    /// followed by a start inside it (interruptions).
    /// </summary>
    private static (int Moves, int Interruptions) CountChanges(List<WorkEvent> events, double from, double to)
    {
        string? previousWorker = null;
        bool stoppedInWindow = false;
        int moves = 0, interruptions = 0;
        foreach (var e in events.Where(e => e.At <= to))
        {
            bool inWindow = e.At >= from;
            if (e.Start)
            {
                if (inWindow && previousWorker is not null && previousWorker != e.Member)
                {
                    moves++;
                }

                if (inWindow && stoppedInWindow)
                {
                    interruptions++;
                    stoppedInWindow = false;
                }

                previousWorker = e.Member;
            }
            else if (inWindow)
            {
                stoppedInWindow = true;
            }
        }

        return (moves, interruptions);
    }

    /// <summary>How much of [from, to] at least one member was working on the item: the union of its works' intervals.</summary>
    private static double Covered(List<WorkEvent> events, double from, double to)
    {
        var open = new Dictionary<string, double>(StringComparer.Ordinal);
        double covered = 0, coverStart = double.NaN;
        foreach (var e in events.Where(e => e.At <= to))
        {
            double at = Math.Max(e.At, from);
            if (e.Start)
            {
                if (open.Count == 0)
                {
                    coverStart = at;
                }

                open[e.Member] = at;
            }
            else if (open.Remove(e.Member) && open.Count == 0)
            {
                covered += at - coverStart;
            }
        }

        return open.Count > 0 ? covered + (to - coverStart) : covered;
    }

    private readonly record struct WorkEvent(string Member, string Item, bool Start, double At);
}
