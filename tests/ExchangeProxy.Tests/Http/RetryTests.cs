using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Health;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Http;

/// <summary>Layer 7 rides through a CAS server that really stops: retries, redispatch, and no request sent twice that must not be.</summary>
public sealed class RetryTests : TwoCasServersTest
{
    [Fact]
    public async Task A_stopped_server_costs_no_request_and_is_out_at_once_before_any_probe_says_so()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        await ProbeRounds.FirstRoundAsync(proxy);
        using var client = proxy.CreateClient();
        await Exchange1.DisposeAsync();

        var posts = Exchange2.Requests;
        for (var i = 0; i < 20; i++)
        {
            using var get = await client.GetAsync("/owa/");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
            using var post = await client.PostAsync("/EWS/Exchange.asmx", new StringContent("<soap/>"));
            Assert.Equal(HttpStatusCode.OK, post.StatusCode);
            Assert.Equal("exchange2", (await EchoResponse.ReadAsync(post)).Server);
        }

        // Every request reached exchange2 once; the dead server was tried once per service, then left out.
        Assert.Equal(posts + 40, Exchange2.Requests);
        var owa = proxy.Services.GetRequiredService<HealthStates>().Find("owa", "exchange1")!;
        Assert.Equal(ProbeState.Up, owa.State);
        Assert.True(owa.IsPassiveDown(DateTimeOffset.UtcNow));

        using var admin = proxy.CreateAdminClient();
        using var stats = JsonDocument.Parse(await admin.GetStringAsync("/;json"));
        var rows = stats.RootElement.GetProperty("sections").EnumerateArray().Single(s => s.GetProperty("name").GetString() == "owa")
            .GetProperty("servers").EnumerateArray().ToDictionary(r => r.GetProperty("server").GetString()!);
        Assert.Equal("DOWN", rows["exchange1"].GetProperty("state").GetString());
        Assert.Equal(1, rows["exchange1"].GetProperty("connectErrors").GetInt64());
        Assert.Equal(1, rows["exchange2"].GetProperty("redispatches").GetInt64());
    }

    [Fact]
    public async Task A_post_the_server_dropped_is_never_sent_again_while_a_get_is()
    {
        await using var proxy = await RunningProxy.StartAsync(Config());
        using var client = proxy.CreateClient();

        using var post = await client.PostAsync("/owa/service.svc?abort=1", new StringContent("{\"action\":\"SendItem\"}"));
        Assert.Equal(HttpStatusCode.BadGateway, post.StatusCode);
        Assert.Equal(1, Exchange1.Aborted + Exchange2.Aborted);

        using var get = await client.GetAsync("/owa/service.svc?abort=1");
        Assert.Equal(HttpStatusCode.BadGateway, get.StatusCode);
        Assert.True(Exchange1.Aborted + Exchange2.Aborted >= 3, $"the GET was tried {Exchange1.Aborted + Exchange2.Aborted - 1} times");
        Assert.True(Exchange1.Aborted > 0 && Exchange2.Aborted > 0, "the retries went to the other server too");
    }

    [Fact]
    public async Task Retries_0_answers_502_for_a_refused_connect_as_before()
    {
        var config = Config().Service("owa", new JsonObject { ["Retries"] = 0, ["Check"] = new JsonObject { ["Type"] = "None" } });
        await using var proxy = await RunningProxy.StartAsync(config);
        using var client = proxy.CreateClient();
        await Exchange1.DisposeAsync();

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            statuses.Add((await client.GetAsync("/owa/")).StatusCode);
        }

        // The refused connect fails that request, and takes exchange1 out for the next ones.
        Assert.Equal([HttpStatusCode.BadGateway, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK],
            statuses.SkipWhile(s => s == HttpStatusCode.OK).Concat(statuses.TakeWhile(s => s == HttpStatusCode.OK)));
    }
}
