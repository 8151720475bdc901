using System.Globalization;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.Tests.Support.Client;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Tests.Support.Client.ClientTestKit;

namespace Partitioner.Integration.Client;

/// <summary>Certificates and two TLS servers shared by the TLS tests: one that takes a client certificate if given, one that needs it.</summary>
public sealed class TlsServersFixture : IDisposable
{
    public TlsServersFixture()
    {
        Certificates = TestCertificates.Create();
        WantPort = FreePort.Next();
        NeedPort = FreePort.Next();
        Want = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { ExtraConfig = Certificates.ServerConfig(WantPort, "want") });
        Need = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { ExtraConfig = Certificates.ServerConfig(NeedPort, "need") });
    }

    public TestCertificates Certificates { get; }

    /// <summary>The server whose TLS port takes a client certificate when one is offered.</summary>
    public ZooKeeperServerProcess Want { get; }

    /// <summary>The server whose TLS port refuses a client without a certificate.</summary>
    public ZooKeeperServerProcess Need { get; }

    public int WantPort { get; }

    public int NeedPort { get; }

    public void Dispose()
    {
        Want.Dispose();
        Need.Dispose();
        Certificates.Dispose();
    }
}

/// <summary>The client over TLS to ZooKeeper's secureClientPort (the Netty connection factory) on real servers.</summary>
public sealed class TlsTests(TlsServersFixture fixture) : IClassFixture<TlsServersFixture>
{
    private TestCertificates Certificates => fixture.Certificates;

    [Fact]
    public async Task Partitioner_OverTls_TwoMembersShareTheItems_AndTheSessionSurvivesAServerRestart()
    {
        var tls = ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, Certificates.ClientCertificateFile, Certificates.ClientKeyFile);
        using var server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { ExtraConfig = Certificates.ServerConfig(FreePort.Next(), "want") });
        var connect = SecureConnectString(server);
        await using var first = await TlsConnect(connect, tls);
        await using var second = await TlsConnect(connect, tls);
        var options = new SetPartitionerOptions { TimeBoundary = TimeSpan.FromMilliseconds(200), MaxReactionTime = TimeSpan.FromMilliseconds(500) };
        await using var a = new SetPartitioner(first, "/tls/p", ["a", "b", "c", "d"], new SetPartitionerOptions { Identifier = "m-1", TimeBoundary = options.TimeBoundary, MaxReactionTime = options.MaxReactionTime });
        await using var b = new SetPartitioner(second, "/tls/p", ["a", "b", "c", "d"], new SetPartitionerOptions { Identifier = "m-2", TimeBoundary = options.TimeBoundary, MaxReactionTime = options.MaxReactionTime });
        await Shares(a, b);
        var session = first.SessionId;
        var states = new StateLog(first);

        server.Stop();
        server.Start();

        // The members' shares can still read as before while the client has not yet noticed the restart, so the
        // session's survival is read from its events: the restart was seen, then the same session came back.
        await states.WaitFor(SessionEvent.Suspended);
        await states.WaitFor(SessionEvent.Reconnected);
        await Shares(a, b);
        Assert.Equal(session, first.SessionId);
        Assert.DoesNotContain(SessionEvent.Expired, states.Events);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Connect_WithAClientCertificate_ToAServerThatNeedsOne_Works(bool pkcs12)
    {
        var tls = pkcs12
            ? ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, Certificates.ClientPkcs12File, null, TestCertificates.StorePassword)
            : ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, Certificates.ClientCertificateFile, Certificates.ClientKeyFile);

        await using var zk = await TlsConnect(Secure(fixture.NeedPort), tls);

        await zk.CreateAsync(pkcs12 ? "/pkcs12" : "/pem", default, CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
    }

    [Fact]
    public async Task ClientCertificate_IsTheX509IdentityItsSubjectNames_ForAcls()
    {
        // The server's x509 provider makes the certificate's subject an identity, which PartyAcl.ForIdentities can name.
        var withCertificate = ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, Certificates.ClientCertificateFile, Certificates.ClientKeyFile);
        var without = ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null);
        await using var owner = await TlsConnect(Secure(fixture.WantPort), withCertificate);
        await using var stranger = await TlsConnect(Secure(fixture.WantPort), without);

        await owner.CreateAsync("/x509-only", Bytes("mine"), CreateMode.Ephemeral, [new Acl(Perms.All, new Id("x509", "CN=partitioner-test-client"))]).Within();

        Assert.Equal("mine", System.Text.Encoding.UTF8.GetString((await owner.GetDataAsync("/x509-only").Within()).Data));
        await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetDataAsync("/x509-only").Within());
    }

    [Fact]
    public async Task Connect_WithAnotherCa_FailsAtOnceSayingTheCertificateIsNotTrusted()
    {
        var tls = ZooKeeperTlsOptions.FromFiles(Certificates.OtherCaFile, null, null);

        var error = await Refused(Secure(fixture.WantPort), tls);

        Assert.Contains("the server's certificate was refused", error.Message, StringComparison.Ordinal);
        Assert.Contains("it is not signed by the given CA", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_WhenTheCertificateDoesNotNameTheHost_FailsAtOnceNamingTheHost()
    {
        var tls = new ZooKeeperTlsOptions
        {
            TrustedCertificates = ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null).TrustedCertificates,
            TargetHost = "zookeeper.example.org",
        };

        var error = await Refused(Secure(fixture.WantPort), tls);

        Assert.Contains("does not name the host 'zookeeper.example.org'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_WhenTheServersCertificateHasExpired_FailsAtOnceSayingSo()
    {
        var port = FreePort.Next();
        using var server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { ExtraConfig = Certificates.ServerConfig(port, "want", expired: true) });
        var tls = ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null);

        var error = await Refused(Secure(port), tls);

        Assert.Contains("it has expired or is not valid yet (NotTimeValid", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_WithoutAClientCertificate_ToAServerThatNeedsOne_WithDefaultOptions_FailsAtOnceSayingTheServerRefusedTheHandshake()
    {
        var error = await RefusedWithDefaults(Secure(fixture.NeedPort), ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null));

        Assert.Contains("gave up connecting: the server refused the connection in a way that trying again will not change", error.Message, StringComparison.Ordinal);
        Assert.Contains("bad certificate", error.Message, StringComparison.Ordinal);
        Assert.Contains("the server refused the TLS handshake, as one that needs a client certificate does: set ZooKeeperTlsOptions.ClientCertificate", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_InPlaintextToTwoTlsPorts_WithDefaultOptions_FailsAtOnceSayingItIsATlsPort()
    {
        var connect = $"{Secure(fixture.WantPort)},{Secure(fixture.NeedPort)}";

        var error = await RefusedWithDefaults(connect, tls: null);

        Assert.Contains("gave up connecting: all 2 servers refused the connection", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a TLS port (secureClientPort), which hangs up on plaintext and answers over TLS; set ZooKeeperClientOptions.Tls", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_OverTlsToThePlaintextPort_WithDefaultOptions_FailsAtOnceSayingItIsAPlaintextPort()
    {
        var plaintext = fixture.Want.ConnectString;

        var error = await RefusedWithDefaults(plaintext, ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null));

        Assert.Contains($"{plaintext} is a plaintext port (clientPort), which hangs up on TLS and answers in plaintext", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_OverTlsToAPlaintextPort_ClosesTheSessionItsProbeWasGiven()
    {
        // The first connection (the TLS hello) is hung up on; the second is the probe, in plaintext.
        var probeRequests = new List<int>();
        await using var plaintext = new FakeServer(async (connection, index) =>
        {
            if (index == 0)
            {
                connection.Close();
                return;
            }

            await connection.AcceptHandshake();
            var (_, op) = await connection.ReadRequest();
            lock (probeRequests)
            {
                probeRequests.Add(op);
            }

            await connection.SendReply(1, err: 0, []);
        });

        var error = await RefusedWithDefaults(plaintext.ConnectString, ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null));

        Assert.Contains($"{plaintext.ConnectString} is a plaintext port (clientPort)", error.Message, StringComparison.Ordinal);
        Assert.Equal([0L], plaintext.HandshakeSessionIds);
        Assert.Equal([-11], probeRequests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Connect_ToAPortThatHangsUpInBothProtocols_KeepsTrying_UntilTheConnectTimeout(bool overTls)
    {
        // A proxy whose backend is down, or a server not serving yet, hangs up like a port of the other protocol;
        // only the probe's answer tells them apart, so this must not be taken for a wrong port.
        await using var hangUp = new FakeServer((connection, _) =>
        {
            connection.Close();
            return Task.CompletedTask;
        });
        var options = new ZooKeeperClientOptions
        {
            Tls = overTls ? ZooKeeperTlsOptions.FromFiles(Certificates.CaFile, null, null) : null,
            ReconnectDelayMax = TimeSpan.FromMilliseconds(50),
            ConnectTimeout = TimeSpan.FromSeconds(1.5),
        };

        var error = await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync(hangUp.ConnectString, options).WaitAsync(WaitMax));

        Assert.Contains($"could not connect to {hangUp.ConnectString} within 1.5 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_InPlaintext_ToATlsPortAndAPortThatHangsUp_KeepsTrying_UntilTheConnectTimeout()
    {
        // One server of the connect string might still come up: a first connect gives up only when every one refused.
        await using var hangUp = new FakeServer((connection, _) =>
        {
            connection.Close();
            return Task.CompletedTask;
        });
        var options = new ZooKeeperClientOptions { ReconnectDelayMax = TimeSpan.FromMilliseconds(50), ConnectTimeout = TimeSpan.FromSeconds(1.5) };

        var error = await Assert.ThrowsAsync<ConnectionLossException>(
            () => ZooKeeperClient.ConnectAsync($"{Secure(fixture.WantPort)},{hangUp.ConnectString}", options).WaitAsync(WaitMax));

        Assert.Contains("within 1.5 s", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutACa_TheSystemStoreIsTrusted_AsSslCertFileNamesIt_AndAGivenCaReplacesIt()
    {
        // The system store is read when a process starts, so each case is a separate run of the CLI, with
        // OpenSSL's SSL_CERT_FILE and SSL_CERT_DIR naming what the system trusts.
        await using (var zk = await ZooKeeperClient.ConnectAsync(fixture.Want.ConnectString).WaitAsync(WaitMax))
        {
            await zk.CreateAsync("/system-store", default, CreateMode.Persistent, Acl.OpenUnsafe).Within();
            await zk.CreateAsync("/system-store/party", default, CreateMode.Persistent, Acl.OpenUnsafe).Within();
        }

        var noDirectory = Directory.CreateDirectory(Path.Combine(Certificates.Folder, "no-certificates")).FullName;
        string[] inspect = ["inspect", "--connect", Secure(fixture.WantPort), "--path", "/system-store", "--connect-timeout", "10"];
        Dictionary<string, string> Trusting(string caFile) => new() { ["SSL_CERT_FILE"] = caFile, ["SSL_CERT_DIR"] = noDirectory };

        var runs = await Task.WhenAll(
            CommandLine.CliProcess.Run([.. inspect, "--tls"], TimeSpan.FromMinutes(1), Trusting(Certificates.CaFile)),
            CommandLine.CliProcess.Run([.. inspect, "--tls"], TimeSpan.FromMinutes(1), Trusting(Certificates.OtherCaFile)),
            CommandLine.CliProcess.Run([.. inspect, "--tls-ca", Certificates.OtherCaFile], TimeSpan.FromMinutes(1), Trusting(Certificates.CaFile)));

        Assert.True(runs[0].ExitCode == 0, runs[0].ToString());
        Assert.True(runs[1].ExitCode != 0, runs[1].ToString());
        Assert.Contains("the server's certificate was refused: RemoteCertificateChainErrors against the system's trust store", runs[1].Errors, StringComparison.Ordinal);
        Assert.True(runs[2].ExitCode != 0, runs[2].ToString());
        Assert.Contains("it is not signed by the given CA", runs[2].Errors, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FromFiles_WithAMissingCaFile_IsRefusedNamingIt()
    {
        var missing = Path.Combine(Certificates.Folder, "missing.pem");

        var error = Assert.Throws<ArgumentException>(() => ZooKeeperTlsOptions.FromFiles(missing, null, null));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    private static string Secure(int port) => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{port}");

    private static string SecureConnectString(ZooKeeperServerProcess server) =>
        Secure(int.Parse(server.Settings.ExtraConfig[0]["secureClientPort=".Length..], CultureInfo.InvariantCulture));

    private static Task<ZooKeeperClient> TlsConnect(string connectString, ZooKeeperTlsOptions tls) =>
        ZooKeeperClient.ConnectAsync(connectString, new ZooKeeperClientOptions
        {
            Tls = tls,
            SessionTimeout = TimeSpan.FromSeconds(10),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            ConnectTimeout = TimeSpan.FromSeconds(15),
        }).WaitAsync(WaitMax);

    /// <summary>
    /// Connects with no connect timeout, so that a client that took the refusal for a passing fault would retry for
    /// ever, and expects a ConnectionLoss with the reason: the refusal itself must end the attempt ("at once" means
    /// that, not a wall-clock margin, which a slow machine's TLS handshakes and a Netty port still opening can pass).
    /// The test's own bound turns a hang into a failure.
    /// </summary>
    private static async Task<ConnectionLossException> Refused(string connectString, ZooKeeperTlsOptions? tls)
    {
        var options = new ZooKeeperClientOptions
        {
            Tls = tls,
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
        };
        Assert.Null(options.ConnectTimeout);
        return await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync(connectString, options).WaitAsync(WaitMax));
    }

    /// <summary>
    /// Connects with the default options, which set no connect timeout, and expects a ConnectionLoss: the refusal
    /// itself must end the attempt. The test's own bound turns a hang into a failure.
    /// </summary>
    private static async Task<ConnectionLossException> RefusedWithDefaults(string connectString, ZooKeeperTlsOptions? tls)
    {
        var options = new ZooKeeperClientOptions { Tls = tls };
        Assert.Null(options.ConnectTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), options.ReconnectDelayMax);
        return await Assert.ThrowsAsync<ConnectionLossException>(() => ZooKeeperClient.ConnectAsync(connectString, options).WaitAsync(WaitMax));
    }

    /// <summary>Releases for both members until both are Acquired with all four items, and checks the shares as read then.</summary>
    private static async Task Shares(SetPartitioner a, SetPartitioner b)
    {
        var deadline = DateTime.UtcNow + WaitMax;
        IReadOnlyList<IReadOnlyList<string>>? shares;
        while ((shares = Partitioner.PartitionerTestKit.SharesWhileAcquired([a, b])) is null || shares[0].Count + shares[1].Count != 4)
        {
            Assert.True(DateTime.UtcNow < deadline, $"m-1 {a.State} ({a.FailureReason}), m-2 {b.State} ({b.FailureReason})");
            foreach (var member in new[] { a, b }.Where(m => m.Release))
            {
                await member.ReleaseSetAsync().Within();
            }

            await Task.Delay(20);
        }

        Assert.Equal<string>(["a", "c"], shares[0]);
        Assert.Equal<string>(["b", "d"], shares[1]);
    }
}

/// <summary>TLS across an ensemble: the session moves to another member over TLS when its server dies.</summary>
[Collection(OwnServerCollection.Name)]
public sealed class TlsEnsembleTests
{
    [Fact]
    public async Task ConnectedServerKilled_ClientMovesToAnotherMemberOverTls_WithItsSession()
    {
        using var certificates = TestCertificates.Create();
        var securePorts = Enumerable.Range(0, 3).Select(_ => FreePort.Next()).ToArray();
        using var ensemble = ZooKeeperEnsemble.Start(extraConfig: id => certificates.ServerConfig(securePorts[id - 1], "want"));
        var connect = string.Join(',', securePorts.Select(p => string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{p}")));
        await using var zk = await ZooKeeperClient.ConnectAsync(connect, new ZooKeeperClientOptions
        {
            SessionTimeout = TimeSpan.FromSeconds(6),
            ReconnectDelayMax = TimeSpan.FromMilliseconds(100),
            Tls = ZooKeeperTlsOptions.FromFiles(certificates.CaFile, null, null),
        }).WaitAsync(WaitMax);
        var states = new StateLog(zk);
        await zk.CreateAsync("/tls-member", Bytes("m"), CreateMode.Ephemeral, Acl.OpenUnsafe).Within();
        var sessionId = zk.SessionId;
        var first = zk.CurrentServer!;

        ensemble.Servers[Array.IndexOf(securePorts, first.Port)].Stop();
        await states.WaitFor(SessionEvent.Reconnected);

        Assert.NotEqual(first, zk.CurrentServer);
        Assert.Contains(zk.CurrentServer!.Port, securePorts);
        Assert.Equal(sessionId, (await zk.ExistsAsync("/tls-member").Within())!.EphemeralOwner);
    }
}
