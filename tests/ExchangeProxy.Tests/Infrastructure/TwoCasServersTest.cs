namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Base for tests that need exchange1 and exchange2 running and a listener certificate on disk.</summary>
public abstract class TwoCasServersTest : IAsyncLifetime
{
    protected TestCertificate Certificate { get; } = new();

    protected FakeCasServer Exchange1 { get; private set; } = null!;

    protected FakeCasServer Exchange2 { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Exchange1 = await FakeCasServer.StartAsync("exchange1");
        Exchange2 = await FakeCasServer.StartAsync("exchange2");
    }

    public async Task DisposeAsync()
    {
        await Exchange1.DisposeAsync();
        await Exchange2.DisposeAsync();
        Certificate.Dispose();
    }

    protected ProxyConfig Config() => new(Certificate, Exchange1, Exchange2);
}
