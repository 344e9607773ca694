using ExchangeProxy.Health;
using Microsoft.Extensions.Time.Testing;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Moves a fake clock on, one check interval at a time, until a server has been probed a number of times.</summary>
public static class ProbeRounds
{
    public static async Task AdvanceUntilAsync(FakeTimeProvider time, RunningProxy proxy, string service, string server, long checks)
    {
        var status = proxy.Services.GetRequiredService<HealthStates>().Find(service, server)
            ?? throw new InvalidOperationException($"no status for {server}/{service}");
        using var deadline = new CancellationTokenSource(Eventually.DefaultTimeout);
        while (status.Checks < checks)
        {
            Assert.False(deadline.IsCancellationRequested, $"{server}/{service} reached {status.Checks} checks, not {checks}");
            var before = status.Checks;
            time.Advance(status.Check.Interval);
            // The probe does real I/O; a loop still busy with its last probe misses this tick and gets the next.
            for (var i = 0; i < 40 && status.Checks == before; i++)
            {
                await Task.Delay(10, CancellationToken.None);
            }
        }
    }

    /// <summary>Waits until every server is UP for every service again (a restarted one has passed Rise checks).</summary>
    public static Task AllUpAsync(RunningProxy proxy) =>
        Eventually.TrueAsync(() => proxy.Services.GetRequiredService<HealthStates>().All.All(s => s.State == ProbeState.Up && !s.IsPassiveDown(DateTimeOffset.UtcNow)),
            "every server is UP again");

    /// <summary>Waits for the first round: every server of every service probed once.</summary>
    public static Task FirstRoundAsync(RunningProxy proxy) =>
        Eventually.TrueAsync(() => proxy.Services.GetRequiredService<HealthStates>().Ready, "the first probe round completes");
}
