namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Base for tests that need exchange1 and exchange2 running and a listener certificate on disk.</summary>
public abstract class TwoCasServersTest : IAsyncLifetime
{
    protected TestCertificate Certificate { get; } = new();

    protected FakeCasServer Exchange1 { get; private set; } = null!;

    protected FakeCasServer Exchange2 { get; private set; } = null!;

    /// <summary>Whether the fakes ask for a connection-bound sign-in on the Windows auth virtual directories.</summary>
    protected virtual bool WindowsAuth => false;

    public async Task InitializeAsync()
    {
        Exchange1 = await FakeCasServer.StartAsync("exchange1", WindowsAuth);
        Exchange2 = await FakeCasServer.StartAsync("exchange2", WindowsAuth);
    }

    public async Task DisposeAsync()
    {
        await Exchange1.DisposeAsync();
        await Exchange2.DisposeAsync();
        Certificate.Dispose();
    }

    protected ProxyConfig Config() => new(Certificate, Exchange1, Exchange2);
}
