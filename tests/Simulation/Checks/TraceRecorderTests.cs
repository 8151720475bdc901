using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Partitioner.Simulation.Checks;

namespace Partitioner.Tests.Simulation.Checks;

/// <summary>
/// The trace's digest and time stamps are what every seed's trace hash is made of, so a faster recorder must give
/// the same bytes: the stamp the double formatting gives, and SHA-256 of "stamp, space, line, newline" per line.
/// </summary>
public sealed class TraceRecorderTests
{
    [Fact]
    public void FormatTime_AtRoundingEdgesAndLongTimes_IsWhatFormattingTheSecondsAsADoubleGives()
    {
        // Ticks at and around each half millisecond (where rounding turns), whole seconds, and times up to days.
        var ticks = new List<long> { 0, 1, 4_999, 5_000, 5_001, 9_999, 10_000, 15_000, 25_000, 99_995_000, 99_994_999, 99_995_001 };
        var random = new Random(20261201);
        for (int i = 0; i < 20_000; i++)
        {
            long baseTicks = random.NextInt64(0, TimeSpan.FromDays(3).Ticks);
            ticks.Add(baseTicks);
            ticks.Add((baseTicks / 10_000 * 10_000) + 5_000);
            ticks.Add((baseTicks / 10_000 * 10_000) + 4_999);
        }

        ticks.Add(TimeSpan.FromDays(200).Ticks + 1);

        foreach (long t in ticks)
        {
            var time = TimeSpan.FromTicks(t);
            Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds,9:0.000}s"), TraceRecorder.FormatTime(time));
        }
    }

    [Fact]
    public void Hash_OfLinesLongerThanTheBufferAndNotAscii_IsSha256OfEachStampedLineAndNewline()
    {
        // Lines past 32 KiB in all and one longer than the buffer alone, with characters of 2, 3 and 4 UTF-8 bytes.
        var lines = new List<string> { "zk session 0x100 created", "m0 Allocating -> Acquired owns [é, 中, 𝄞]", new string('x', 70_000) };
        for (int i = 0; i < 2_000; i++)
        {
            lines.Add($"line {i} ünïcödé");
        }

        var recorder = new TraceRecorder();
        var expected = new StringBuilder();
        for (int i = 0; i < lines.Count; i++)
        {
            if (i % 3 == 0)
            {
                recorder.Timeline(lines[i]);
            }
            else
            {
                recorder.Detail(lines[i]);
            }

            expected.Append("    0.000s ").Append(lines[i]).Append('\n');
        }

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(expected.ToString()))), recorder.Hash());
        Assert.Equal(lines.Count, recorder.LineCount);
        Assert.Equal((lines.Count + 2) / 3, recorder.TimelineLines.Count);
        Assert.Equal("    0.000s zk session 0x100 created", recorder.TimelineLines[0]);
    }
}
