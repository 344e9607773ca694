using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.Protection;

/// <summary>
/// Password spraying and lockout storms stopped at the proxy, against fake CAS servers that check passwords and
/// count the failures they see, as Active Directory would.
/// </summary>
public sealed class AccountProtectionTests : TwoCasServersTest
{
    private static readonly Dictionary<string, string> Passwords = Enumerable.Range(0, 100).ToDictionary(i => $"user{i}", i => $"right{i}");

    private static readonly IPAddress Trusted = IPAddress.Parse("127.0.0.200");

    private async Task<RunningProxy> StartAsync(RedisServer? redis = null)
    {
        Exchange1.SignIns ??= new FakeSignIns(Passwords);
        Exchange2.SignIns ??= new FakeSignIns(Passwords);
        var config = Config();
        if (redis is not null)
        {
            config.Section["Redis"] = new JsonObject { ["Configuration"] = redis.Configuration };
        }

        config.Section["Protection"] = new JsonObject
        {
            ["Accounts"] = new JsonObject { ["TrustedNetworks"] = new JsonArray($"{Trusted}/32") },
        };
        return await RunningProxy.StartAsync(config);
    }

    private int BackendFailuresOf(string user) => Exchange1.SignIns!.FailuresOf(user) + Exchange2.SignIns!.FailuresOf(user);

    private static async Task<HttpStatusCode> BasicAsync(RunningProxy proxy, IPAddress from, string user, string password, string path = "/EWS/Exchange.asmx")
    {
        using var client = proxy.CreateClientFrom(from);
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_spray_of_100_users_from_one_address_blocks_that_address_and_no_other()
    {
        await using var proxy = await StartAsync();
        var sprayer = IPAddress.Parse("127.0.0.2");
        var statuses = new List<HttpStatusCode>();
        foreach (var password in new[] { "Winter2026!", "Password1", "Welcome1" })
        {
            for (var i = 0; i < 100; i++)
            {
                statuses.Add(await BasicAsync(proxy, sprayer, $"user{i}", password));
            }
        }

        Assert.All(statuses, s => Assert.Equal(HttpStatusCode.Unauthorized, s));
        // The servers (and AD behind them) saw the first 20; the other 280 were answered at the proxy.
        Assert.Equal(20, Passwords.Keys.Sum(BackendFailuresOf));
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("locked out after", StringComparison.Ordinal) && Equals(e.Properties["Name"], "127.0.0.2"));
        // Even the right password is refused from there, and nobody else is locked out.
        Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, sprayer, "user7", "right7"));
        Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, IPAddress.Parse("127.0.0.3"), "user7", "right7"));
    }

    [Fact]
    public async Task Twenty_addresses_failing_as_one_user_lock_the_user_before_the_directory_would_but_not_from_inside()
    {
        await using var proxy = await StartAsync();
        for (var n = 10; n < 30; n++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, IPAddress.Parse($"127.0.0.{n}"), "user1", $"guess{n}"));
        }

        Assert.Equal(5, BackendFailuresOf("user1"));
        // Locked: even the right password from a new address is answered at the proxy, never reaching the servers.
        Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, IPAddress.Parse("127.0.0.40"), "USER1", "right1"));
        Assert.Equal(0, Exchange1.SignIns!.Successes.GetValueOrDefault("user1") + Exchange2.SignIns!.Successes.GetValueOrDefault("user1"));
        // From the inside the user signs in as ever.
        Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, Trusted, "user1", "right1"));
    }

    [Fact]
    public async Task Two_instances_sharing_redis_add_up_their_failures_lock_out_together_and_unlock_together()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartAsync(redis);
        await using var b = await StartAsync(redis);

        // Failures spread over both proxies, from a different address each time: three through each.
        for (var n = 0; n < 6; n++)
        {
            await BasicAsync(n % 2 == 0 ? a : b, IPAddress.Parse($"127.0.0.{100 + n}"), "user9", "guess");
        }

        // The fifth failure locks user9 on both; the sixth may have passed the other proxy while the lockout was on its way.
        var failures = BackendFailuresOf("user9");
        Assert.InRange(failures, 5, 6);
        await Eventually.TrueAsync(async () => await BasicAsync(a, IPAddress.Parse("127.0.0.120"), "user9", "right9") == HttpStatusCode.Unauthorized
            && await BasicAsync(b, IPAddress.Parse("127.0.0.121"), "user9", "right9") == HttpStatusCode.Unauthorized, "both proxies refuse user9");
        Assert.Equal(failures, BackendFailuresOf("user9"));

        // Unlocked on one, signed in through the other.
        using var admin = b.CreateAdminClient();
        using var unlocked = await admin.PostAsync("/api/accounts/unlock?user=user9", content: null);
        Assert.Equal(HttpStatusCode.OK, unlocked.StatusCode);
        await Eventually.TrueAsync(async () => await BasicAsync(a, IPAddress.Parse("127.0.0.122"), "user9", "right9") == HttpStatusCode.OK,
            "the first proxy lets user9 in again");
        Assert.Contains(a.Logs.Entries, e => e.Message.Contains("unlocked on another instance", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_redis_gone_each_instance_decides_alone_and_no_sign_in_fails_for_it_then_writes_its_lockouts_back()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await StartAsync(redis);
        await using var b = await StartAsync(redis);
        // Both connected to Redis (each lists the other among the instances sharing it) before it goes.
        await Eventually.TrueAsync(async () =>
        {
            using var admin = b.CreateAdminClient();
            return JsonDocument.Parse(await admin.GetStringAsync("/;json")).RootElement.GetProperty("instances").GetArrayLength() == 2;
        }, "both instances connected to Redis");
        await redis.KillAsync();

        for (var n = 0; n < 6; n++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(a, IPAddress.Parse($"127.0.0.{130 + n}"), "user12", "guess"));
        }

        Assert.Equal(5, BackendFailuresOf("user12"));
        Assert.Equal(HttpStatusCode.OK, await BasicAsync(b, IPAddress.Parse("127.0.0.140"), "user13", "right13"));
        await Eventually.TrueAsync(() => a.Logs.Entries.Any(e => e.Message.Contains("Account protection cannot be shared", StringComparison.Ordinal)),
            "the outage is logged");

        // Back: the lockout the first instance decided alone reaches the second.
        await redis.StartAgainAsync();
        await Eventually.TrueAsync(async () =>
        {
            using var admin = b.CreateAdminClient();
            return JsonDocument.Parse(await admin.GetStringAsync("/api/accounts")).RootElement.GetProperty("accounts").EnumerateArray()
                .Any(s => s.GetProperty("name").GetString() == "user12" && s.GetProperty("lockedUntil").ValueKind == JsonValueKind.String);
        }, "the second proxy takes the first one's lockout");
        Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(b, IPAddress.Parse("127.0.0.141"), "user12", "right12"));
        Assert.Equal(0, Exchange1.SignIns!.Successes.GetValueOrDefault("user12") + Exchange2.SignIns!.Successes.GetValueOrDefault("user12"));
    }

    [Fact]
    public async Task Curls_ntlm_failures_lock_out_the_user_its_type_3_messages_name()
    {
        await using var proxy = await StartAsync();
        async Task<string> CurlAsync()
        {
            await using var curl = ProxyProcess.Start("curl",
                ["-sk", "--http1.1", "--ntlm", "-u", "CONTOSO\\user11:guess", "--interface", "127.0.0.80", "-o", "/dev/null", "-w", "%{http_code}",
                 new Uri(proxy.Address, "/EWS/Exchange.asmx").AbsoluteUri]);
            Assert.Equal(0, await curl.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            return curl.Stdout.Trim();
        }

        for (var i = 0; i < 7; i++)
        {
            Assert.Equal("401", await CurlAsync());
        }

        Assert.Equal(5, Exchange1.SignIns!.NtlmFailures + Exchange2.SignIns!.NtlmFailures);
        var locked = Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("locked out after", StringComparison.Ordinal) && e.Properties["Kind"]?.ToString() == "User");
        Assert.Equal("CONTOSO\\user11", locked.Properties["Name"]);
    }

    [Fact]
    public async Task The_operator_sees_the_locked_user_on_the_stats_page_and_unlocks_it_there()
    {
        await using var proxy = await StartAsync();
        for (var n = 10; n < 16; n++)
        {
            await BasicAsync(proxy, IPAddress.Parse($"127.0.0.{n}"), "user6", "guess");
        }

        using var admin = proxy.CreateAdminClient();
        var accounts = System.Text.Json.JsonDocument.Parse(await admin.GetStringAsync("/api/accounts")).RootElement.GetProperty("accounts");
        var user = accounts.EnumerateArray().Single(a => a.GetProperty("kind").GetString() == "user");
        Assert.Equal("user6", user.GetProperty("name").GetString());
        Assert.Equal(5, user.GetProperty("failures").GetInt32());
        Assert.Equal(JsonValueKind.String, user.GetProperty("lockedUntil").ValueKind);
        Assert.Equal(5, user.GetProperty("addresses").GetArrayLength());

        await using var chromium = await HeadlessChromium.StartAsync();
        await chromium.NavigateAsync(proxy.AdminAddress!);
        const string Row = "document.querySelector('#accounts tr.account[data-account=\"user6\"]')";
        await Eventually.TrueAsync(() => chromium.TrueAsync($"{Row} !== null && {Row}.innerText.includes('127.0.0.10')"), "the Accounts table shows user6 locked");
        var png = await chromium.ScreenshotAsync();
        Directory.CreateDirectory(Path.Combine(Repository.Root, "TestResults"));
        await File.WriteAllBytesAsync(Path.Combine(Repository.Root, "TestResults", "stats-page-accounts.png"), png);

        await chromium.EvaluateAsync($"{Row}.querySelector('button[data-unlock]').click()");
        await Eventually.TrueAsync(() => chromium.TrueAsync($"{Row} === null"), "the unlocked user leaves the table");
        Assert.Contains(proxy.Logs.Entries, e => e.Message.Contains("unlocked by the operator", StringComparison.Ordinal) && Equals(e.Properties["Name"], "user6"));
        Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, IPAddress.Parse("127.0.0.20"), "user6", "right6"));
    }

    [Fact]
    public async Task Failures_from_the_inside_never_lock_anyone_and_a_success_forgives_the_failures_before_it()
    {
        await using var proxy = await StartAsync();
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, Trusted, "user2", "wrong"));
        }

        Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, Trusted, "user2", "right2"));

        var outside = IPAddress.Parse("127.0.0.50");
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, outside, "user3", "wrong"));
            }

            Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, outside, "user3", "right3"));
        }

        Assert.Equal(12, BackendFailuresOf("user3"));
    }

    [Fact]
    public async Task A_stale_activesync_device_is_refused_alone_while_its_owners_other_device_syncs()
    {
        await using var proxy = await StartAsync();
        var phone = IPAddress.Parse("127.0.0.60");
        const string Stale = "/Microsoft-Server-ActiveSync?Cmd=Ping&User=user4&DeviceId=OLDPHONE1&DeviceType=iPhone";
        const string Current = "/Microsoft-Server-ActiveSync?Cmd=Ping&User=user4&DeviceId=NEWPHONE2&DeviceType=iPhone";
        for (var i = 0; i < 8; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, phone, "user4", "old-password", Stale));
        }

        Assert.Equal(5, BackendFailuresOf("user4"));
        Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, phone, "user4", "right4", Current));
        Assert.Equal(HttpStatusCode.OK, await BasicAsync(proxy, IPAddress.Parse("127.0.0.61"), "user4", "right4"));
        // The stale device stays refused, even once its password is fixed, until the lockout ends or is lifted.
        Assert.Equal(HttpStatusCode.Unauthorized, await BasicAsync(proxy, phone, "user4", "right4", Stale));
    }

    [Fact]
    public async Task Owa_form_sign_ins_that_keep_failing_get_owas_own_answer_from_the_proxy()
    {
        await using var proxy = await StartAsync();
        using var client = proxy.CreateClientFrom(IPAddress.Parse("127.0.0.70"));
        async Task<string?> SignInAsync(string password)
        {
            using var form = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["destination"] = "https://mail.contoso.test/owa/",
                ["flags"] = "4",
                ["username"] = "user5",
                ["password"] = password,
            });
            using var response = await client.PostAsync("/owa/auth.owa", form);
            Assert.Equal(HttpStatusCode.Found, response.StatusCode);
            return response.Headers.Location?.OriginalString;
        }

        Assert.Equal("/owa/", await SignInAsync("right5"));
        for (var i = 0; i < 5; i++)
        {
            Assert.Contains("reason=2", await SignInAsync("wrong"), StringComparison.Ordinal);
        }

        Assert.Equal("/owa/auth/logon.aspx?reason=2", await SignInAsync("right5"));
        Assert.Equal(5, BackendFailuresOf("user5"));
    }
}
