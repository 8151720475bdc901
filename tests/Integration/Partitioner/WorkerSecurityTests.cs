using System.Security.Cryptography;
using System.Text;
using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// <c>partitioner worker</c> on a protected party over TLS: certificates from files, credentials from a file, and
/// nothing secret on its output, its errors or its event log.
/// </summary>
public sealed class WorkerSecurityTests
{
    private const string Password = "Worker-Pw-7f3c1";

    private static readonly TimeSpan CliLimit = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task Worker_OverTlsWithAnAuthFile_JoinsAProtectedParty_AndWritesNoSecretToItsOutputOrEventLog()
    {
        using var certificates = TestCertificates.Create();
        var securePort = FreePort.Next();
        using var server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { ExtraConfig = certificates.ServerConfig(securePort, "want") });
        var authFile = Path.Combine(certificates.Folder, "auth");
        File.WriteAllText(authFile, $"digest:worker:{Password}\n");
        var eventLog = Path.Combine(certificates.Folder, "events.jsonl");
        var hash = Convert.ToBase64String(SHA1.HashData(Encoding.UTF8.GetBytes($"worker:{Password}")));

        using var worker = ChildProcess.Start(
            "secure-worker", "dotnet", WorkerProcess.CliPath(), "worker",
            "--connect", $"127.0.0.1:{securePort}", "--path", "/secure/p", "--items", "a,b", "--identifier", "w-1", "--time-boundary", "0.2",
            "--tls-ca", certificates.CaFile, "--tls-cert", certificates.ClientCertificateFile, "--tls-key", certificates.ClientKeyFile,
            "--auth-file", authFile, "--acl", "creator-all", "--event-log", eventLog);
        await worker.WaitForLine(l => l.GetProperty("event").GetString() == "state" && l.GetProperty("state").GetString() == "ACQUIRED", "ACQUIRED over TLS");

        // A stranger on the plaintext port can read nothing of the party.
        await using (var stranger = await PartitionerTestKit.Connect(server.ConnectString))
        {
            await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetChildrenAsync("/secure/p/party").WaitAsync(PartitionerTestKit.WaitMax));
        }

        worker.Send("finish");
        await worker.WaitForExit("the worker exits after finish");

        var everything = string.Join("\n", worker.Lines.Select(l => l.GetRawText())) + "\n" + worker.StandardError() + "\n" + File.ReadAllText(eventLog);
        Assert.Equal(0, worker.ExitCode);
        Assert.Contains("\"tls\":true", everything, StringComparison.Ordinal);
        Assert.Contains("\"auth::cdr\"", everything, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, everything, StringComparison.Ordinal);
        Assert.DoesNotContain(hash, everything, StringComparison.Ordinal);
        var keyLines = File.ReadAllLines(certificates.ClientKeyFile).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(keyLines);
        Assert.All(keyLines, line => Assert.DoesNotContain(line, everything, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Worker_WithTlsFilesItCannotUse_ExitsWithBadInput_NamingEachFile_AndNotThePassword()
    {
        using var certificates = TestCertificates.Create();
        var missing = Path.Combine(certificates.Folder, "missing.pem");
        var notACertificate = Path.Combine(certificates.Folder, "not-a-certificate.pem");
        File.WriteAllText(notACertificate, "hello\n");
        string[] worker = ["worker", "--connect", "127.0.0.1:1", "--path", "/p", "--items", "a"];
        var wrongPassword = new Dictionary<string, string> { ["PARTITIONER_TLS_PASSWORD"] = "wrong-" + Password };

        var runs = await Task.WhenAll(
            CommandLine.CliProcess.Run([.. worker, "--tls-ca", missing], CliLimit),
            CommandLine.CliProcess.Run([.. worker, "--tls-ca", notACertificate], CliLimit),
            CommandLine.CliProcess.Run([.. worker, "--tls-cert", certificates.ClientCertificateFile, "--tls-key", missing], CliLimit),
            CommandLine.CliProcess.Run([.. worker, "--tls-key", certificates.ClientKeyFile], CliLimit),
            CommandLine.CliProcess.Run([.. worker, "--tls-cert", certificates.ClientPkcs12File], CliLimit, wrongPassword),
            CommandLine.CliProcess.Run([.. worker, "--auth-file", missing], CliLimit));

        Assert.All(runs, run => Assert.True(run.ExitCode == 2, run.ToString()));
        Assert.Contains($"--tls: The CA file '{missing}' cannot be read as PEM certificates", runs[0].Errors, StringComparison.Ordinal);
        Assert.Contains($"--tls: The CA file '{notACertificate}' holds no PEM certificate", runs[1].Errors, StringComparison.Ordinal);
        Assert.Contains($"--tls: The client certificate '{certificates.ClientCertificateFile}' cannot be read as a PEM certificate with the PEM key '{missing}'", runs[2].Errors, StringComparison.Ordinal);
        Assert.Contains($"--tls: The key file '{certificates.ClientKeyFile}' was given without a certificate file", runs[3].Errors, StringComparison.Ordinal);
        Assert.Contains($"--tls: The client certificate '{certificates.ClientPkcs12File}' cannot be read as a PKCS#12 file", runs[4].Errors, StringComparison.Ordinal);
        Assert.DoesNotContain(Password, runs[4].Errors, StringComparison.Ordinal);
        Assert.Contains($"--auth-file {missing}: cannot be read", runs[5].Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Worker_WithMalformedCredentialsInTheEnvironment_ExitsWithBadInput_WithoutQuotingThem()
    {
        using var worker = ChildProcess.Start(
            "bad-auth",
            new Dictionary<string, string> { ["PARTITIONER_ZK_AUTH"] = "no-colon-" + Password },
            "dotnet", WorkerProcess.CliPath(), "worker", "--connect", "127.0.0.1:1", "--path", "/p", "--items", "a");

        await worker.WaitForExit("the worker refuses its input");

        Assert.Equal(2, worker.ExitCode);
        Assert.Contains("PARTITIONER_ZK_AUTH environment variable: expected scheme:credentials", worker.StandardError(), StringComparison.Ordinal);
        Assert.DoesNotContain(Password, worker.StandardError(), StringComparison.Ordinal);
    }
}
