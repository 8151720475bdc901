using System.Diagnostics;
using System.Text.Json;

namespace Partitioner.Culture.Tests;

/// <summary>
/// Asks Python kazoo itself (Debian's python3-kazoo under /usr/bin/python3) what a kazoo member would compute,
/// so that every expected value comes from kazoo's own code, never from the code under test.
/// </summary>
internal static class Kazoo
{
    private const string Script = """
        import json, sys
        from kazoo.recipe.partitioner import SetPartitioner
        request = json.load(sys.stdin)
        members, items = request["members"], request["items"]
        json.dump({
            "order": sorted(members),
            # kazoo's default partition function; it uses nothing of its instance.
            "shares": {m: SetPartitioner._partitioner(None, m, members, items) for m in members},
        }, sys.stdout)
        """;

    /// <summary>kazoo's member order and every member's share of <paramref name="items"/>.</summary>
    public static (string[] Order, Dictionary<string, string[]> Shares) Partition(IReadOnlyList<string> members, IReadOnlyList<string> items)
    {
        var start = new ProcessStartInfo("/usr/bin/python3", ["-c", Script])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        using var python = Process.Start(start) ?? throw new InvalidOperationException("/usr/bin/python3 did not start");
        python.StandardInput.Write(JsonSerializer.Serialize(new { members, items }));
        python.StandardInput.Close();
        var output = python.StandardOutput.ReadToEndAsync();
        var errors = python.StandardError.ReadToEndAsync();
        if (!python.WaitForExit(TimeSpan.FromSeconds(30)))
        {
            python.Kill();
            throw new TimeoutException("python3 with kazoo did not answer within 30 s");
        }

        if (python.ExitCode != 0)
        {
            throw new InvalidOperationException($"python3 with kazoo exited with {python.ExitCode}: {errors.Result}");
        }

        using var reply = JsonDocument.Parse(output.Result);
        var order = reply.RootElement.GetProperty("order").EnumerateArray().Select(e => e.GetString()!).ToArray();
        var shares = reply.RootElement.GetProperty("shares").EnumerateObject()
            .ToDictionary(p => p.Name, p => p.Value.EnumerateArray().Select(e => e.GetString()!).ToArray(), StringComparer.Ordinal);
        return (order, shares);
    }
}
