using ExchangeProxy.Admin;
using ExchangeProxy.Balancing;
using ExchangeProxy.Health;

namespace ExchangeProxy.Tests.Balancing;

/// <summary>The one rule of which clients a server may take, as both layers, the stats page and /health apply it.</summary>
public sealed class ServerConditionTests
{
    [Theory]
    [InlineData(ProbeState.Up, false, AdminState.Ready, 1, true, true, "UP")]
    [InlineData(ProbeState.Unknown, false, AdminState.Ready, 1, true, true, "UNKNOWN")]
    [InlineData(ProbeState.Down, false, AdminState.Ready, 1, false, false, "DOWN")]
    [InlineData(ProbeState.Up, true, AdminState.Ready, 1, false, false, "DOWN")]
    [InlineData(ProbeState.Up, false, AdminState.Drain, 1, true, false, "DRAIN")]
    [InlineData(ProbeState.Up, false, AdminState.Ready, 0, true, false, "DRAIN")]
    [InlineData(ProbeState.Down, false, AdminState.Drain, 1, false, false, "DRAIN")]
    [InlineData(ProbeState.Up, false, AdminState.Maint, 1, false, false, "MAINT")]
    [InlineData(ProbeState.Down, true, AdminState.Maint, 0, false, false, "MAINT")]
    public void Health_maintenance_and_weight_decide_together(
        ProbeState probe, bool passiveDown, AdminState admin, int weight, bool servesBound, bool takesNew, string status)
    {
        var condition = new ServerCondition(probe, passiveDown, admin, weight, Unprobed: false);

        Assert.Equal((servesBound, takesNew, status), (condition.ServesBoundClients, condition.TakesNewClients, condition.Status));
    }

    [Fact]
    public void A_server_of_a_pool_without_checks_counts_as_up()
    {
        var condition = new ServerCondition(ProbeState.Unknown, PassiveDown: false, AdminState.Ready, 1, Unprobed: true);

        Assert.Equal((true, "UP"), (condition.TakesNewClients, condition.Status));
    }
}
