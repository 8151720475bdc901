using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// How the shared server is chosen. The container path itself runs only where a Docker engine answers, which this
/// project's CI machines do not have; these tests cover the choice with a fake engine and the fallback for real.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class ServerChoiceTests(ZooKeeperServerFixture server)
{
    [Fact]
    public void Decide_WithZooKeeperConnect_UsesThatServer_WithoutAskingDocker() =>
        Assert.Equal(ServerSource.External, ServerChoice.Decide("10.0.0.1:2181", () => throw new InvalidOperationException("Docker was asked")));

    [Fact]
    public void Decide_WhenADockerEngineAnswers_ChoosesAContainer() =>
        Assert.Equal(ServerSource.Container, ServerChoice.Decide(null, () => true));

    [Fact]
    public void Decide_WhenNoDockerEngineAnswers_FallsBackToTheDebianPackage() =>
        Assert.Equal(ServerSource.DebianPackage, ServerChoice.Decide("  ", () => false));

    [Fact]
    public void Probe_OnASocketPathWithNothingThere_SaysNoEngineAnswers()
    {
        var path = Path.Combine(Path.GetTempPath(), $"no-docker-{Guid.NewGuid():N}.sock");
        Assert.False(new DockerEngineProbe($"unix://{path}").Answers());
    }

    [Fact]
    public void Probe_OnAClosedTcpPort_SaysNoEngineAnswers() =>
        Assert.False(new DockerEngineProbe($"tcp://127.0.0.1:{FreePort.Next()}").Answers());

    [Fact]
    public async Task Probe_OnAFakeEngineThatAnswersPing_SaysItAnswers_SoTheChoiceIsAContainer()
    {
        using var engine = FakeEngine.Start("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK");
        var probe = new DockerEngineProbe($"unix://{engine.Path}");
        Assert.Equal(ServerSource.Container, ServerChoice.Decide(null, probe.Answers));
        Assert.Equal("GET /_ping HTTP/1.1", (await engine.FirstRequestLine).Trim());
    }

    [Fact]
    public void Probe_OnASocketThatAnswersSomethingElse_SaysNoEngineAnswers()
    {
        using var engine = FakeEngine.Start("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        Assert.False(new DockerEngineProbe($"unix://{engine.Path}").Answers());
    }

    [Fact]
    public void SharedServer_WhereNoEngineAnswersAndNoServerIsNamed_IsTheDebianPackageProcess()
    {
        var named = !string.IsNullOrWhiteSpace(Environment.GetEnvironmentVariable("ZOOKEEPER_CONNECT"));
        if (named)
        {
            Assert.Equal(ServerSource.External, server.Source);
        }
        else if (!DockerEngineProbe.FromEnvironment().Answers())
        {
            Assert.Equal(ServerSource.DebianPackage, server.Source);
            Assert.NotNull(server.Server);
            Assert.True(server.Server.IsRunning);
        }
        else
        {
            // An engine answered: a container, unless it could not start and the fixture fell back.
            Assert.True(server.Source is ServerSource.Container or ServerSource.DebianPackage);
            Assert.Equal(server.Source == ServerSource.DebianPackage, server.Server is not null);
        }
    }

    /// <summary>A Unix socket that answers one fixed HTTP reply to each connection and remembers the first request line.</summary>
    private sealed class FakeEngine : IDisposable
    {
        private readonly Socket _listener;
        private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);

        private FakeEngine(string path, string reply)
        {
            Path = path;
            _listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            _listener.Bind(new UnixDomainSocketEndPoint(path));
            _listener.Listen(4);
            _ = ServeAsync(reply);
        }

        public string Path { get; }

        public Task<string> FirstRequestLine => _firstLine.Task;

        public static FakeEngine Start(string reply) =>
            new(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"fake-docker-{Guid.NewGuid():N}.sock"), reply);

        public void Dispose()
        {
            _listener.Dispose();
            File.Delete(Path);
        }

        private async Task ServeAsync(string reply)
        {
            try
            {
                while (true)
                {
                    using var connection = await _listener.AcceptAsync();
                    var buffer = new byte[1024];
                    var read = await connection.ReceiveAsync(buffer);
                    _firstLine.TrySetResult(Encoding.ASCII.GetString(buffer, 0, read).Split('\n')[0]);
                    await connection.SendAsync(Encoding.ASCII.GetBytes(reply));
                    connection.Shutdown(SocketShutdown.Both);
                }
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                // The listener was closed at the end of the test.
            }
        }
    }
}
