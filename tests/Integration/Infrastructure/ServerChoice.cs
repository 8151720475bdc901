namespace Partitioner.Integration.Infrastructure;

/// <summary>Where the shared test server comes from.</summary>
public enum ServerSource
{
    /// <summary>A running server named by <c>ZOOKEEPER_CONNECT</c>.</summary>
    External,

    /// <summary>ZooKeeper in a container, started with Testcontainers on the Docker engine that answered.</summary>
    Container,

    /// <summary>A child java process running the jars of Debian's <c>zookeeper</c> package.</summary>
    DebianPackage,
}

/// <summary>Chooses the shared server's source: <c>ZOOKEEPER_CONNECT</c> first, then a container where a Docker engine answers, else the Debian package.</summary>
public static class ServerChoice
{
    /// <summary>The source for these circumstances; <paramref name="dockerAnswers"/> is asked only when no server is named.</summary>
    /// <param name="zookeeperConnect">The value of <c>ZOOKEEPER_CONNECT</c>, or null.</param>
    /// <param name="dockerAnswers">Whether a Docker engine answers (<see cref="DockerEngineProbe.Answers"/>).</param>
    public static ServerSource Decide(string? zookeeperConnect, Func<bool> dockerAnswers)
    {
        ArgumentNullException.ThrowIfNull(dockerAnswers);
        if (!string.IsNullOrWhiteSpace(zookeeperConnect))
        {
            return ServerSource.External;
        }

        return dockerAnswers() ? ServerSource.Container : ServerSource.DebianPackage;
    }
}
