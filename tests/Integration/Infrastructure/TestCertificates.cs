using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// Certificates made on the fly for TLS tests, written as files a ZooKeeper server and a client can load: a CA
/// (PEM), a server key store signed by it for 127.0.0.1 and localhost (PKCS#12), an expired one, a client
/// certificate (PEM with its key, and PKCS#12), and a second CA that signed nothing the server uses.
/// </summary>
public sealed class TestCertificates : IDisposable
{
    /// <summary>The password of every PKCS#12 file; test material only.</summary>
    public const string StorePassword = "test-store-pw";

    private TestCertificates(string folder) => Folder = folder;

    /// <summary>Where the files are.</summary>
    public string Folder { get; }

    /// <summary>The CA that signed the server and client certificates (PEM).</summary>
    public string CaFile => Path.Combine(Folder, "ca.pem");

    /// <summary>A CA that signed nothing here (PEM).</summary>
    public string OtherCaFile => Path.Combine(Folder, "other-ca.pem");

    /// <summary>The server's key store: key, certificate and CA (PKCS#12, <see cref="StorePassword"/>).</summary>
    public string ServerKeyStore => Path.Combine(Folder, "server.p12");

    /// <summary>A server key store whose certificate expired days ago.</summary>
    public string ExpiredServerKeyStore => Path.Combine(Folder, "server-expired.p12");

    /// <summary>The client certificate (PEM) and its key (<see cref="ClientKeyFile"/>).</summary>
    public string ClientCertificateFile => Path.Combine(Folder, "client.pem");

    /// <summary>The client certificate's private key (PEM, unencrypted).</summary>
    public string ClientKeyFile => Path.Combine(Folder, "client.key");

    /// <summary>The client certificate and key as PKCS#12 (<see cref="StorePassword"/>).</summary>
    public string ClientPkcs12File => Path.Combine(Folder, "client.p12");

    /// <summary>Makes every certificate in a new temporary folder.</summary>
    public static TestCertificates Create()
    {
        var certificates = new TestCertificates(Directory.CreateTempSubdirectory("zk-tls-").FullName);
        var now = DateTimeOffset.UtcNow;
        using var ca = MakeCa("CN=partitioner-test-ca", now);
        using var otherCa = MakeCa("CN=some-other-ca", now);
        File.WriteAllText(certificates.CaFile, ca.ExportCertificatePem());
        File.WriteAllText(certificates.OtherCaFile, otherCa.ExportCertificatePem());

        using var server = Issue(ca, "CN=zookeeper-test-server", now.AddDays(-1), now.AddDays(2), server: true);
        using var expired = Issue(ca, "CN=zookeeper-test-server", now.AddDays(-10), now.AddDays(-5), server: true);
        File.WriteAllBytes(certificates.ServerKeyStore, server.Export(X509ContentType.Pkcs12, StorePassword));
        File.WriteAllBytes(certificates.ExpiredServerKeyStore, expired.Export(X509ContentType.Pkcs12, StorePassword));

        using var client = Issue(ca, "CN=partitioner-test-client", now.AddDays(-1), now.AddDays(2), server: false);
        File.WriteAllText(certificates.ClientCertificateFile, client.ExportCertificatePem());
        using (var key = client.GetRSAPrivateKey()!)
        {
            File.WriteAllText(certificates.ClientKeyFile, key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllBytes(certificates.ClientPkcs12File, client.Export(X509ContentType.Pkcs12, StorePassword));
        return certificates;
    }

    /// <summary>
    /// The zoo.cfg lines of a TLS server on <paramref name="securePort"/>: the Netty connection factory, the key store,
    /// the CA as trust store for client certificates, and the client-certificate policy (<c>none</c>, <c>want</c>, <c>need</c>).
    /// </summary>
    public IReadOnlyList<string> ServerConfig(int securePort, string clientAuth, bool expired = false) =>
    [
        $"secureClientPort={securePort}",
        "secureClientPortAddress=127.0.0.1",
        "serverCnxnFactory=org.apache.zookeeper.server.NettyServerCnxnFactory",
        "authProvider.x509=org.apache.zookeeper.server.auth.X509AuthenticationProvider",
        $"ssl.keyStore.location={(expired ? ExpiredServerKeyStore : ServerKeyStore)}",
        $"ssl.keyStore.password={StorePassword}",
        "ssl.keyStore.type=PKCS12",
        $"ssl.trustStore.location={CaFile}",
        "ssl.trustStore.type=PEM",
        $"ssl.clientAuth={clientAuth}",
    ];

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open: the folder is under /tmp and harmless.
        }
    }

    private static X509Certificate2 MakeCa(string subject, DateTimeOffset now)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(now.AddDays(-30), now.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 ca, string subject, DateTimeOffset notBefore, DateTimeOffset notAfter, bool server)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest(subject, key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid(server ? "1.3.6.1.5.5.7.3.1" : "1.3.6.1.5.5.7.3.2")], false));
        if (server)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddIpAddress(IPAddress.Loopback);
            names.AddDnsName("localhost");
            request.CertificateExtensions.Add(names.Build());
        }

        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var issued = request.Create(ca, notBefore, notAfter, serial);
        return issued.CopyWithPrivateKey(key);
    }
}
