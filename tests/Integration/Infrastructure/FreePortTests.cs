using System.Globalization;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// Ports are claimed machine-wide, so that two test runs on one machine never hand out the same port: a run that
/// restarts its server on a port must not find another run's server there.
/// </summary>
public sealed class FreePortTests
{
    // Inside FreePort's range, near its end, where a run rarely gets to.
    private const int Port = 31_990;

    [Fact]
    public void APortClaimedByALiveProcess_IsNotClaimedAgain_AndOneLeftByAnEndedProcessIsTakenOver()
    {
        var file = Path.Combine(FreePort.ClaimsFolder, Port.ToString(CultureInfo.InvariantCulture));
        Directory.CreateDirectory(FreePort.ClaimsFolder);
        try
        {
            // Process 1 (init) is always alive: its claim holds.
            File.WriteAllText(file, "1");
            Assert.False(FreePort.Claim(Port));
            Assert.Equal("1", File.ReadAllText(file));

            // A process id above Linux's largest (4,194,304) has ended: its claim is taken over by this process.
            File.WriteAllText(file, "99999999");
            Assert.True(FreePort.Claim(Port));
            Assert.Equal(Environment.ProcessId.ToString(CultureInfo.InvariantCulture), File.ReadAllText(file));

            // And this process's own claim is not handed out twice.
            Assert.False(FreePort.Claim(Port));
        }
        finally
        {
            File.Delete(file);
        }
    }
}
