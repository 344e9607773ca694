using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Text.Json;
using System.Text.RegularExpressions;
using ExchangeProxy.Tests.Infrastructure;

namespace ExchangeProxy.Tests.WindowsAuth;

/// <summary>
/// Windows sign-in through the proxy against a real NTLM stack: the CAS fakes accept with
/// <see cref="System.Net.Security.NegotiateAuthentication"/> over gss-ntlmssp, and the clients are HttpClient with
/// real credentials (NTLM, and Negotiate with NTLM inside SPNEGO, through the same gss-ntlmssp).
/// </summary>
public sealed class RealNtlmTests : IAsyncLifetime
{
    private readonly GssNtlmAuth _auth = new();
    private readonly TestCertificate _certificate = new();
    private FakeCasServer _exchange1 = null!;
    private FakeCasServer _exchange2 = null!;

    public async Task InitializeAsync()
    {
        _exchange1 = await FakeCasServer.StartAsync("exchange1", gssAuth: _auth);
        _exchange2 = await FakeCasServer.StartAsync("exchange2", gssAuth: _auth);
    }

    public async Task DisposeAsync()
    {
        await _exchange1.DisposeAsync();
        await _exchange2.DisposeAsync();
        _certificate.Dispose();
    }

    [Fact]
    public async Task Fifty_clients_sign_in_at_once_and_make_twenty_requests_each_as_themselves()
    {
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();

        await Task.WhenAll(Enumerable.Range(1, 50).Select(async number =>
        {
            // Half sign in with NTLM, half with Negotiate (SPNEGO around NTLM, as domain-joined clients without Kerberos do).
            using var client = SigningIn(proxy, GssNtlmAuth.User(number), number % 2 == 0 ? "NTLM" : "Negotiate");
            for (var i = 0; i < 20; i++)
            {
                using var response = await client.GetAsync($"/EWS/Exchange.asmx?n={i}");
                var who = response.StatusCode == HttpStatusCode.OK ? await response.Content.ReadFromJsonAsync<WhoAmI>() : null;
                if (who?.User != $"{GssNtlmAuth.Domain}\\user{number}")
                {
                    failures.Enqueue($"user{number} request {i}: {(int)response.StatusCode} as {who?.User ?? "nobody"}");
                }
            }
        }));

        Assert.Empty(failures);
        Assert.Equal(0, _auth.Failed);
        Assert.InRange(_auth.Completed, 50, 1000);
    }

    [Fact]
    public async Task A_wrong_password_gets_401_and_signs_nobody_in()
    {
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        var wrong = GssNtlmAuth.User(7);
        wrong.Password = "not-the-password";
        using var client = SigningIn(proxy, wrong, "NTLM");

        using var response = await client.GetAsync("/EWS/Exchange.asmx");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.True(_auth.Failed >= 1, "the acceptor refused the response to its challenge");
        Assert.Equal(0, _auth.Completed);
    }

    [Fact]
    public async Task Ntlm_failures_lock_out_the_user_named_in_the_type_3_message_before_the_acceptor_sees_more()
    {
        // .NET's own NTLM stack makes the messages: curl's NEGOTIATE (OEM only) is refused by gss-ntlmssp before a challenge.
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        async Task<HttpStatusCode> SignInAsync(string password)
        {
            var user = GssNtlmAuth.User(8);
            user.Password = password;
            using var client = SigningIn(proxy, user, "NTLM");
            using var response = await client.GetAsync("/EWS/Exchange.asmx");
            return response.StatusCode;
        }

        var failedAtTheAcceptor = new List<int>();
        for (var i = 0; i < 7; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync("not-the-password"));
            failedAtTheAcceptor.Add(_auth.Failed);
        }

        // Five wrong answers reached the acceptor; the sixth and seventh were refused at the proxy.
        Assert.True(failedAtTheAcceptor[4] > failedAtTheAcceptor[3] && failedAtTheAcceptor[6] == failedAtTheAcceptor[4], string.Join(", ", failedAtTheAcceptor));
        var locked = Assert.Single(proxy.Logs.Entries, e => e.Message.Contains("locked out after", StringComparison.Ordinal) && e.Properties["Kind"]?.ToString() == "User");
        Assert.Equal($"{GssNtlmAuth.Domain}\\user8", locked.Properties["Name"]);
        // The right password too is answered at the proxy while the lockout lasts: nobody signs in.
        Assert.Equal(HttpStatusCode.Unauthorized, await SignInAsync(GssNtlmAuth.User(8).Password));
        Assert.Equal(0, _auth.Completed);
    }

    [Fact]
    public async Task An_http2_client_is_refused_with_http_1_1_required_and_signs_in_over_http_1_1()
    {
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        using var http2 = SigningIn(proxy, GssNtlmAuth.User(3), "Negotiate", HttpVersion.Version20);

        // OWA stays on HTTP/2.
        using (var owa = await http2.GetAsync("/owa/"))
        {
            Assert.Equal(HttpVersion.Version20, owa.Version);
        }

        // The challenge is refused on HTTP/2 with HTTP_1_1_REQUIRED, as IIS does. HttpClient does not retry a
        // request it has finished sending (curl, browsers and Outlook do); a client that then speaks HTTP/1.1 signs in.
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http2.GetAsync("/EWS/Exchange.asmx"));
        Assert.Equal(0xd, Assert.IsType<HttpProtocolException>(refused.InnerException).ErrorCode);
        using var http11 = SigningIn(proxy, GssNtlmAuth.User(3), "Negotiate");
        using var response = await http11.GetAsync("/EWS/Exchange.asmx");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{GssNtlmAuth.Domain}\\user3", (await response.Content.ReadFromJsonAsync<WhoAmI>())!.User);
    }

    [Fact]
    public async Task Ews_posts_with_expect_100_continue_sign_in_and_deliver_their_bodies()
    {
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        using var client = SigningIn(proxy, GssNtlmAuth.User(11), "NTLM");
        var soap = new string('x', 200 * 1024);

        for (var i = 0; i < 3; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/EWS/Exchange.asmx") { Content = new StringContent(soap, System.Text.Encoding.UTF8, "text/xml") };
            request.Headers.ExpectContinue = true;
            using var response = await client.SendAsync(request);

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(soap.Length.ToString(System.Globalization.CultureInfo.InvariantCulture), response.Headers.GetValues("X-Body-Bytes").Single());
            Assert.Equal($"{GssNtlmAuth.Domain}\\user11", (await response.Content.ReadFromJsonAsync<WhoAmI>())!.User);
        }
    }

    [Fact]
    public async Task An_expect_100_continue_post_hears_each_challenge_before_it_uploads_and_signs_in()
    {
        // As HttpWebRequest does: Expect: 100-continue on every leg, the connection kept between them.
        const int soap = 64 * 1024;
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        await using var client = await RawHttpsClient.ConnectAsync(proxy.Address, _certificate);
        using var ntlm = new NegotiateAuthentication(new NegotiateAuthenticationClientOptions
        {
            Package = "NTLM",
            Credential = GssNtlmAuth.User(12),
            TargetName = "HTTP/mail.contoso.test",
        });
        var timeout = TimeSpan.FromSeconds(10);

        // Anonymous, then the Negotiate message: each is answered 401 before the body, which the client then sends
        // anyway because it keeps the connection.
        string? challenge = null;
        foreach (var token in new[] { null, ntlm.GetOutgoingBlob(ReadOnlySpan<byte>.Empty, out _) })
        {
            await client.WriteHeadAsync(Post(token, soap));
            var (head, _) = await client.ReadResponseAsync(timeout);
            Assert.StartsWith("HTTP/1.1 401", head, StringComparison.Ordinal);
            challenge = Regex.Match(head, @"WWW-Authenticate: NTLM (\S+)").Groups[1].Value;
            await client.Stream.WriteAsync(new byte[soap]);
        }

        var authenticate = ntlm.GetOutgoingBlob(Convert.FromBase64String(challenge!), out var status);
        Assert.Equal(NegotiateAuthenticationStatusCode.Completed, status);
        await client.WriteHeadAsync(Post(authenticate, soap));
        Assert.StartsWith("HTTP/1.1 100", await client.ReadHeadAsync(timeout), StringComparison.Ordinal);
        await client.Stream.WriteAsync(new byte[soap]);
        var (final, body) = await client.ReadResponseAsync(timeout);

        Assert.StartsWith("HTTP/1.1 200", final, StringComparison.Ordinal);
        Assert.Contains($"X-Body-Bytes: {soap}", final, StringComparison.Ordinal);
        Assert.Equal($"{GssNtlmAuth.Domain}\\user12", JsonSerializer.Deserialize<WhoAmI>(body, JsonSerializerOptions.Web)!.User);
        Assert.Equal(0, _auth.Failed);
        Assert.Equal(1, _auth.Completed);

        static string Post(byte[]? token, int length) =>
            $"POST /EWS/Exchange.asmx HTTP/1.1\r\nHost: mail.contoso.test\r\nContent-Type: text/xml\r\nContent-Length: {length}\r\nExpect: 100-continue\r\n"
            + (token is null ? "" : $"Authorization: NTLM {Convert.ToBase64String(token)}\r\n");
    }

    [Fact]
    public async Task The_request_log_names_the_account_that_signed_in_and_never_its_secret()
    {
        await using var proxy = await RunningProxy.StartAsync(new ProxyConfig(_certificate, _exchange1, _exchange2));
        using (var ntlm = SigningIn(proxy, GssNtlmAuth.User(21), "NTLM"))
        {
            Assert.Equal(HttpStatusCode.OK, (await ntlm.GetAsync("/EWS/Exchange.asmx")).StatusCode);
        }

        using (var negotiate = SigningIn(proxy, GssNtlmAuth.User(22), "Negotiate"))
        {
            Assert.Equal(HttpStatusCode.OK, (await negotiate.GetAsync("/mapi/emsmdb/")).StatusCode);
        }

        using var basic = proxy.CreateClient();
        using var phone = new HttpRequestMessage(HttpMethod.Post, "/Microsoft-Server-ActiveSync?Cmd=Sync&User=alice&DeviceId=ANDROIDC0FFEE&DeviceType=Android");
        phone.Headers.Authorization = new("Basic", Convert.ToBase64String("alice@contoso.com:Sup3rSecret"u8.ToArray()));
        Assert.Equal(HttpStatusCode.OK, (await basic.SendAsync(phone)).StatusCode);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["destination"] = "https://mail.contoso.test/owa/",
            ["flags"] = "4",
            ["username"] = "contoso\\bob",
            ["password"] = "Sup3rSecret",
        });
        var formBytes = await form.ReadAsByteArrayAsync();
        using var signIn = await basic.PostAsync("/owa/auth.owa", form);
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        // Read for its user name, forwarded whole.
        Assert.Equal(formBytes.Length, (await EchoResponse.ReadAsync(signIn)).BodyBytes);

        await Eventually.TrueAsync(() => RequestLines(proxy).Count(l => l.Properties["StatusCode"] is 200) >= 4, "four requests logged");
        var lines = RequestLines(proxy);
        Assert.Contains(lines, l => (string?)l.Properties["User"] == $"{GssNtlmAuth.Domain}\\user21");
        Assert.Contains(lines, l => (string?)l.Properties["User"] == $"{GssNtlmAuth.Domain}\\user22");
        var sync = Assert.Single(lines, l => (string?)l.Properties["DeviceId"] == "ANDROIDC0FFEE");
        Assert.Equal("alice@contoso.com", sync.Properties["User"]);
        Assert.Equal("Android", sync.Properties["DeviceType"]);
        Assert.Contains(lines, l => (string?)l.Properties["User"] == "contoso\\bob");
        Assert.DoesNotContain(proxy.Logs.Entries, e => e.Message.Contains("Sup3rSecret", StringComparison.Ordinal)
            || e.Properties.Values.Any(v => v?.ToString()?.Contains("Sup3rSecret", StringComparison.Ordinal) == true));
    }

    private static List<LogEntry> RequestLines(RunningProxy proxy) =>
        [.. proxy.Logs.Entries.Where(e => e.Properties.ContainsKey("StatusCode") && e.Properties.ContainsKey("User"))];

    private static HttpClient SigningIn(RunningProxy proxy, NetworkCredential credential, string scheme, Version? version = null)
    {
        var client = proxy.CreateClient(version, handler =>
        {
            handler.Credentials = new CredentialCache { { proxy.Address, scheme, credential } };
            handler.PreAuthenticate = false;
        });
        client.DefaultVersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
        return client;
    }
}
