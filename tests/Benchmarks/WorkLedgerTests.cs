using Partitioner.Benchmarks.Partitioner;

namespace Partitioner.Benchmarks.Tests;

/// <summary>The hand-off benchmark's figures from hand-written start and stop instants, each worked out by hand.</summary>
public sealed class WorkLedgerTests
{
    [Fact]
    public void Measure_WhenAnItemMovesWithAGap_LosesTheGapInsideTheWindowOnly()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Start("m0", "b", 0);
        ledger.Stop("m0", "a", 3);
        ledger.Start("m1", "a", 5);

        // Window [2, 10]: a is worked on [2, 3] and [5, 10], so 2 s lost; b all along, none.
        var figures = ledger.Measure(["a", "b"], 2, 10);

        Assert.Equal(2.0, figures.ItemSecondsLost, 9);
        Assert.Equal((1, 1, 1, 1), (figures.ItemsMoved, figures.Moves, figures.ItemsInterrupted, figures.Interruptions));
        Assert.Equal(3.0, figures.SettledSeconds, 9); // the last event, at 5, is 3 s after the window's start
    }

    [Fact]
    public void Measure_WhenTwoMembersOverlap_CountsTheUnionOfTheirWorksOnce()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Start("m1", "a", 4);
        ledger.Stop("m0", "a", 6);
        ledger.Stop("m1", "a", 8);

        // Covered [0, 8] (not 6 + 4 = 10 s of work), so 2 of the window's 10 s are lost.
        Assert.Equal(2.0, ledger.Measure(["a"], 0, 10).ItemSecondsLost, 9);
    }

    [Fact]
    public void Measure_WhenAnItemIsNeverWorkedOn_LosesTheWholeWindow()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 1);

        var figures = ledger.Measure(["a", "never"], 2, 6);

        Assert.Equal(4.0, figures.ItemSecondsLost, 9);
        Assert.Equal(0.0, figures.SettledSeconds, 9); // nothing happened inside the window
    }

    [Fact]
    public void Measure_WhenAWorkRestartsInTheSameMember_IsInterruptedButNotMoved()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Stop("m0", "a", 1);
        ledger.Start("m0", "a", 2);

        var figures = ledger.Measure(["a"], 0.5, 3);

        Assert.Equal((0, 0, 1, 1), (figures.ItemsMoved, figures.Moves, figures.ItemsInterrupted, figures.Interruptions));
        Assert.Equal(1.0, figures.ItemSecondsLost, 9);
    }

    [Fact]
    public void Measure_WhenAnItemMovesAwayAndBack_CountsTwoMovesOfOneItem()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Stop("m0", "a", 1);
        ledger.Start("m1", "a", 2);
        ledger.Stop("m1", "a", 3);
        ledger.Start("m0", "a", 4);

        var figures = ledger.Measure(["a"], 0.5, 5);

        Assert.Equal((1, 2, 1, 2), (figures.ItemsMoved, figures.Moves, figures.ItemsInterrupted, figures.Interruptions));
        Assert.Equal(2.0, figures.ItemSecondsLost, 9);
    }

    [Fact]
    public void Measure_IgnoresChangesBeforeAndAfterTheWindow()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Stop("m0", "a", 1);
        ledger.Start("m1", "a", 2); // a move before the window
        ledger.Stop("m1", "a", 20);
        ledger.Start("m0", "a", 21); // and one after it

        var figures = ledger.Measure(["a"], 5, 10);

        Assert.Equal(new HandOffFigures(0, 0, 0, 0, 0, 0), figures);
    }

    [Fact]
    public void Record_WhenEventsArriveOutOfOrder_MeasuresThemInTimeOrder()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Start("m1", "a", 5); // m1's thread recorded first
        ledger.Stop("m0", "a", 3);

        Assert.Equal(2.0, ledger.Measure(["a"], 0, 10).ItemSecondsLost, 9);
    }

    [Fact]
    public void WorksExactly_IsTrueOnlyForTheSharesBeingWorkedOn()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);
        ledger.Start("m1", "b", 0);

        Assert.True(ledger.WorksExactly(Shares(("m0", ["a"]), ("m1", ["b"]))));
        Assert.False(ledger.WorksExactly(Shares(("m0", ["a", "b"]), ("m1", [])))); // m1 still works on b
        Assert.False(ledger.WorksExactly(Shares(("m0", ["a"])))); // m1 is not in the party but works
        Assert.False(ledger.WorksExactly(Shares(("m0", ["a"]), ("m1", ["b"]), ("m2", ["c"])))); // c has no work
    }

    [Fact]
    public void Record_WhenAWorkStartsTwice_Throws()
    {
        var ledger = new WorkLedger();
        ledger.Start("m0", "a", 0);

        var error = Assert.Throws<InvalidOperationException>(() => ledger.Start("m0", "a", 1));
        Assert.Contains("m0", error.Message, StringComparison.Ordinal);
    }

    private static Dictionary<string, IReadOnlyCollection<string>> Shares(params (string Member, string[] Items)[] shares) =>
        shares.ToDictionary(s => s.Member, s => (IReadOnlyCollection<string>)s.Items, StringComparer.Ordinal);
}
