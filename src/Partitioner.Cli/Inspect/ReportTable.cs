using System.Globalization;
using System.Text;

namespace Partitioner.Cli.Inspect;

/// <summary>The report as aligned text tables, for a person at a terminal.</summary>
internal static class ReportTable
{
    public static string Render(InspectReport report, string servers)
    {
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture, $"party {report.Path} on {servers}, read {report.ReadAt} in {report.Requests} requests");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"members ({report.Members.Length}):");
        Table(text, ["identifier", "kind", "session", "prefix", "joined", "holds", "waits", ""], report.Members.Select(m => new[]
        {
            m.Identifier, m.Kind, m.Session, m.Prefix, Seconds(m.JoinedSecondsAgo) + " ago", Number(m.Holds), Number(m.Waits), m.Standby ? "standby (duplicate identifier)" : "",
        }));
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"items ({report.Items.Length}, {(report.ItemsFromLocks ? "the folders under locks" : "as given")}):");
        Table(text, ["item", "holder", "held", "waiters (waited)"], report.Items.Select(i => new[]
        {
            i.Item,
            i.Holder ?? "-",
            i.HeldSeconds is { } held ? Seconds(held) : "",
            string.Join(", ", i.Waiters.Select(w => $"{w.Member} ({Seconds(w.WaitedSeconds)})")),
        }));
        text.AppendLine();
        var problems = Problems(report).ToList();
        text.AppendLine(problems.Count == 0 ? "problems: none" : $"problems ({problems.Count}):");
        foreach (var problem in problems)
        {
            text.AppendLine("  " + problem);
        }

        if (report.WhatIf is { } whatIf)
        {
            text.AppendLine();
            text.AppendLine(CultureInfo.InvariantCulture,
                $"what if {whatIf.Change} (round-robin over {whatIf.MembersAfter.Length} members): {whatIf.Moves.Length} of {report.Items.Length} items move");
            Table(text, ["item", "from", "to"], whatIf.Moves.Select(m => new[] { m.Item, m.From ?? "-", m.To ?? "-" }));
        }

        return text.ToString();
    }

    private static IEnumerable<string> Problems(InspectReport report)
    {
        if (report.Unheld.Length > 0)
        {
            yield return $"nobody holds {report.Unheld.Length} of the {report.Items.Length} items: {string.Join(", ", report.Unheld.Take(20))}{(report.Unheld.Length > 20 ? ", ..." : "")}";
        }

        foreach (var duplicate in report.Duplicates)
        {
            yield return $"duplicate identifier {duplicate.Identifier}: {duplicate.Nodes.Length} party nodes ({string.Join(", ", duplicate.Nodes)})";
        }

        foreach (var stray in report.StrayLocks)
        {
            yield return $"lock node {stray.Path}: {stray.Reason}";
        }
    }

    private static string Seconds(double seconds) => seconds.ToString("0.0", CultureInfo.InvariantCulture) + " s";

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Table(StringBuilder text, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var widths = header.Select((h, c) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[c].Length))).ToArray();
        text.AppendLine(Line(header, widths));
        foreach (var row in all)
        {
            text.AppendLine(Line(row, widths));
        }
    }

    private static string Line(string[] cells, int[] widths) =>
        ("  " + string.Join("  ", cells.Select((cell, c) => cell.PadRight(widths[c])))).TrimEnd();
}
