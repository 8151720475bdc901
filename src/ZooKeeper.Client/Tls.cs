using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace ZooKeeper.Client;

/// <summary>
/// TLS to ZooKeeper's <c>secureClientPort</c> (the server's Netty connection factory). Set it as
/// <see cref="ZooKeeperClientOptions.Tls"/>; every connection, reconnects and failover to another server
/// included, is then made over TLS and checked the same way.
/// </summary>
public sealed class ZooKeeperTlsOptions
{
    /// <summary>
    /// The certificate authorities that may sign the servers' certificates. When given, only these are trusted
    /// (not the system store). The default (null) trusts the system store.
    /// </summary>
    public X509Certificate2Collection? TrustedCertificates { get; init; }

    /// <summary>The client certificate, with its private key, for servers that ask for one. The default is none.</summary>
    public X509Certificate2? ClientCertificate { get; init; }

    /// <summary>
    /// The name the servers' certificates must carry. The default (null) is each server's host as the connect
    /// string names it (a DNS name or an IP address, matched against the certificate's subject alternative names).
    /// </summary>
    public string? TargetHost { get; init; }

    /// <summary>How long the TLS handshake may take; the default (null) is the connect timeout of one server.</summary>
    public TimeSpan? HandshakeTimeout { get; init; }

    /// <summary>
    /// Loads the options from files: <paramref name="caFile"/> (PEM, one or more certificates), and a client
    /// certificate as PEM with its key in <paramref name="keyFile"/> (PEM) or as PKCS#12 (<c>.p12</c>/<c>.pfx</c>,
    /// the key inside, <paramref name="keyFile"/> null).
    /// </summary>
    /// <param name="caFile">The CA certificates; null to trust the system store.</param>
    /// <param name="certificateFile">The client certificate; null for none.</param>
    /// <param name="keyFile">The client certificate's PEM key; null for PKCS#12 or no certificate.</param>
    /// <param name="pkcs12Password">The PKCS#12 file's password; null for none.</param>
    /// <exception cref="ArgumentException">A file is missing or cannot be read as what it should be; the message names it.</exception>
    public static ZooKeeperTlsOptions FromFiles(string? caFile, string? certificateFile, string? keyFile, string? pkcs12Password = null)
    {
        if (keyFile is not null && certificateFile is null)
        {
            throw new ArgumentException($"The key file '{keyFile}' was given without a certificate file.", nameof(keyFile));
        }

        return new ZooKeeperTlsOptions
        {
            TrustedCertificates = caFile is null ? null : LoadCa(caFile),
            ClientCertificate = certificateFile is null ? null : LoadClientCertificate(certificateFile, keyFile, pkcs12Password),
        };
    }

    private static X509Certificate2Collection LoadCa(string caFile)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPemFile(caFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            throw new ArgumentException($"The CA file '{caFile}' cannot be read as PEM certificates: {e.Message}", nameof(caFile), e);
        }

        if (collection.Count == 0)
        {
            throw new ArgumentException($"The CA file '{caFile}' holds no PEM certificate.", nameof(caFile));
        }

        return collection;
    }

    private static X509Certificate2 LoadClientCertificate(string certificateFile, string? keyFile, string? password)
    {
        try
        {
            return keyFile is null
                ? X509CertificateLoader.LoadPkcs12FromFile(certificateFile, password)
                : X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.Security.Cryptography.CryptographicException)
        {
            var what = keyFile is null ? "a PKCS#12 file (give --tls-key for a PEM certificate)" : $"a PEM certificate with the PEM key '{keyFile}'";
            throw new ArgumentException($"The client certificate '{certificateFile}' cannot be read as {what}: {e.Message}", nameof(certificateFile), e);
        }
    }
}

/// <summary>The client side of the TLS handshake, with a refusal reason that says what was wrong with the certificate.</summary>
internal static class TlsHandshake
{
    /// <summary>
    /// Authenticates the server over <paramref name="inner"/> (whose socket timeouts bound the handshake) and returns
    /// the encrypted stream. Throws <see cref="TlsRefusedException"/> when the server's certificate is refused, and
    /// <see cref="IOException"/> or <see cref="AuthenticationException"/> when the handshake breaks down.
    /// </summary>
    public static SslStream Authenticate(Stream inner, ServerAddress server, ZooKeeperTlsOptions tls)
    {
        string? refusal = null;
        var host = tls.TargetHost ?? server.Host;
        var stream = new SslStream(inner, leaveInnerStreamOpen: false, (_, certificate, chain, errors) =>
        {
            refusal = Check(certificate as X509Certificate2, errors, tls, host);
            return refusal is null;
        });
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = host,
            ClientCertificates = tls.ClientCertificate is null ? null : [tls.ClientCertificate],
            EnabledSslProtocols = SslProtocols.None,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        try
        {
            stream.AuthenticateAsClient(options);
            return stream;
        }
        catch (AuthenticationException e) when (refusal is not null)
        {
            stream.Dispose();
            throw new TlsRefusedException($"the server's certificate was refused: {refusal}", e);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    /// <summary>Null when the certificate is acceptable, else why not.</summary>
    private static string? Check(X509Certificate2? certificate, SslPolicyErrors errors, ZooKeeperTlsOptions tls, string host)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
        {
            return "the server sent no certificate";
        }

        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
        {
            return $"it does not name the host '{host}' (subject {certificate.Subject})";
        }

        if (tls.TrustedCertificates is null)
        {
            return errors == SslPolicyErrors.None ? null : $"{errors} against the system's trust store (subject {certificate.Subject})";
        }

        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(tls.TrustedCertificates);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate))
        {
            return null;
        }

        var statuses = chain.ChainStatus.Select(s => s.Status).Distinct().ToList();
        var what = statuses.Contains(X509ChainStatusFlags.NotTimeValid) ? "it has expired or is not valid yet"
            : statuses.Any(s => s is X509ChainStatusFlags.PartialChain or X509ChainStatusFlags.UntrustedRoot) ? "it is not signed by the given CA"
            : "its chain does not build";
        return $"{what} ({string.Join(", ", statuses)}) against the given CA (subject {certificate.Subject}, valid {certificate.NotBefore:u} to {certificate.NotAfter:u})";
    }
}

/// <summary>The server's TLS certificate was refused: trying again will not help until the certificate or the trust changes.</summary>
internal sealed class TlsRefusedException(string message, Exception inner) : Exception(message, inner);
