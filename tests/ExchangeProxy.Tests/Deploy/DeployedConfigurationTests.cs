using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ExchangeProxy.Admin;
using ExchangeProxy.Tests.Infrastructure;
using YamlDotNet.RepresentationModel;

namespace ExchangeProxy.Tests.Deploy;

/// <summary>
/// What the compose file and the Kubernetes manifests start, run here without Docker or a cluster: the proxy with
/// the configuration they carry (addresses moved onto loopback, the CAS servers replaced by fakes) and the
/// environment they give it, with the secrets an operator makes as their headers say. A browser signs in to the
/// stats page as the user, a script drains with the key, and both redirects answer.
/// </summary>
public sealed partial class DeployedConfigurationTests : TwoCasServersTest
{
    private const string ApiKey = "a long admin key for the test";
    private const string Passphrase = "a long passphrase for the test";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(1);

    [Fact]
    public async Task The_compose_instances_let_a_browser_sign_in_to_the_stats_page_and_redirect_to_https_and_owa()
    {
        var compose = LoadYaml("deploy/docker-compose.yml");
        var proxy1 = (YamlMappingNode)compose[new YamlScalarNode("services")][new YamlScalarNode("proxy1")];
        // deploy/.env as the compose file's header writes it.
        var dotEnv = new Dictionary<string, string>
        {
            ["ADMIN_KEY_SHA256"] = Sha256Hex(ApiKey),
            ["ADMIN_PASSWORD_HASH"] = PasswordHash.Create(Passphrase),
        };
        var environment = ((YamlMappingNode)proxy1[new YamlScalarNode("environment")]).Children
            .ToDictionary(e => e.Key.ToString(), e => Interpolate(e.Value.ToString(), dotEnv));

        await RunAsync(await File.ReadAllTextAsync(Repository.PathOf("deploy/appsettings.example.json")), environment, "operator");
    }

    [Fact]
    public async Task The_kubernetes_pods_let_a_browser_sign_in_to_the_stats_page_and_redirect_to_https_and_owa()
    {
        var deployment = LoadYamlDocuments("deploy/kubernetes/deployment.yaml").Single();
        var container = (YamlMappingNode)((YamlSequenceNode)deployment[new YamlScalarNode("spec")][new YamlScalarNode("template")]
            [new YamlScalarNode("spec")][new YamlScalarNode("containers")]).Single();
        // The Secret as the Deployment's header creates it.
        var secret = new Dictionary<string, string>
        {
            ["admin-key-sha256"] = Sha256Hex(ApiKey),
            ["admin-password-hash"] = PasswordHash.Create(Passphrase),
        };
        var environment = new Dictionary<string, string>();
        foreach (var variable in ((YamlSequenceNode)container[new YamlScalarNode("env")]).Cast<YamlMappingNode>())
        {
            var name = variable[new YamlScalarNode("name")].ToString();
            environment[name] = variable.Children.TryGetValue(new YamlScalarNode("value"), out var value)
                ? value.ToString()
                : secret[variable[new YamlScalarNode("valueFrom")][new YamlScalarNode("secretKeyRef")][new YamlScalarNode("key")].ToString()];
        }

        var configMap = LoadYamlDocuments("deploy/kubernetes/configmap.yaml").Single();
        var user = environment["ExchangeProxy__Admin__Users__0__Name"];
        await RunAsync(configMap[new YamlScalarNode("data")][new YamlScalarNode("appsettings.json")].ToString(), environment, user);
    }

    private async Task RunAsync(string configJson, Dictionary<string, string> environment, string user)
    {
        var work = Directory.CreateTempSubdirectory("exproxy-deployed-").FullName;
        try
        {
            var configPath = Path.Combine(work, "appsettings.json");
            var (json, plainListeners) = OnLoopback(configJson, Path.Combine(work, "state.json"));
            await File.WriteAllTextAsync(configPath, json);
            environment["EXCHANGEPROXY_CONFIG"] = configPath;
            environment["DOTNET_RUNNING_IN_CONTAINER"] = "true";

            await using var proxy = ProxyProcess.Start("dotnet", [ProxyProcess.BuiltDll], work, environment);
            var https = (await proxy.WaitForOutputAsync(ProxyProcess.ListeningPattern, Timeout)).Groups[1].Value;
            await Eventually.TrueAsync(() => PlainListening().Count(proxy.Stdout) == plainListeners, "every plain listener is bound", Timeout);
            using var plain = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(10) };
            // Which is which: the admin listener serves /health, the redirect listener sends it to HTTPS, and the
            // layer-4 listeners pass the bytes to SMTP servers that the fakes are not.
            var byHealth = new Dictionary<HttpStatusCode, string>();
            foreach (var url in PlainListening().Matches(proxy.Stdout).Select(m => m.Groups[1].Value))
            {
                try
                {
                    using var health = await plain.GetAsync($"{url}/health/live");
                    byHealth[health.StatusCode] = url;
                }
                catch (HttpRequestException)
                {
                }
            }

            var admin = byHealth[HttpStatusCode.OK];
            var redirect = byHealth[HttpStatusCode.MovedPermanently];

            // A browser opening the stats page is asked to sign in, and gets in as the user.
            using (var anonymous = await plain.GetAsync($"{admin}/"))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
                Assert.StartsWith("Basic ", anonymous.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
            }

            using (var page = new HttpRequestMessage(HttpMethod.Get, $"{admin}/"))
            {
                page.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{Passphrase}")));
                using var signedIn = await plain.SendAsync(page);
                Assert.Equal(HttpStatusCode.OK, signedIn.StatusCode);
                Assert.Equal("text/html", signedIn.Content.Headers.ContentType!.MediaType);
            }

            // A script drains with the API key.
            using (var drain = new HttpRequestMessage(HttpMethod.Post, $"{admin}/api/servers/exchange1/drain"))
            {
                drain.Headers.Add("X-Api-Key", ApiKey);
                using var drained = await plain.SendAsync(drain);
                Assert.True(drained.StatusCode == HttpStatusCode.OK, await drained.Content.ReadAsStringAsync());
            }

            using (var toHttps = new HttpRequestMessage(HttpMethod.Get, $"{redirect}/owa/?x=1"))
            {
                toHttps.Headers.Host = "mail.contoso.com";
                using var redirected = await plain.SendAsync(toHttps);
                Assert.Equal("https://mail.contoso.com/owa/?x=1", redirected.Headers.Location!.OriginalString);
            }

            using var client = new HttpClient(new SocketsHttpHandler
            {
                AllowAutoRedirect = false,
                SslOptions = { RemoteCertificateValidationCallback = (_, c, _, _) => c?.GetCertHashString() == Certificate.Certificate.GetCertHashString() },
            });
            using var root = await client.GetAsync($"{https}/");
            Assert.Equal(HttpStatusCode.Found, root.StatusCode);
            Assert.Equal("/owa/", root.Headers.Location!.OriginalString);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>
    /// The shipped configuration with every listener on a free loopback port, the fakes as its servers and the test
    /// certificate; its Redis is left out (no Redis host named "redis" here, and sharing is not this test's subject).
    /// </summary>
    /// <returns>The configuration, and how many plain (not HTTPS) listeners it binds.</returns>
    private (string Json, int PlainListeners) OnLoopback(string json, string stateFile)
    {
        var root = JsonNode.Parse(json, documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip })!.AsObject();
        var section = root["ExchangeProxy"]!.AsObject();
        section["Servers"] = new JsonArray(
            new JsonObject { ["Name"] = "exchange1", ["Address"] = Exchange1.Address },
            new JsonObject { ["Name"] = "exchange2", ["Address"] = Exchange2.Address });
        section["AcceptAnyServerCertificate"] = true;
        foreach (var listener in section["Listeners"]!.AsObject())
        {
            listener.Value!["Listen"] = "127.0.0.1:0";
        }

        Assert.True(section["HttpRedirect"] is JsonObject, "the shipped configuration redirects plain HTTP to HTTPS");
        section["HttpRedirect"]!["Listen"] = "127.0.0.1:0";
        Assert.NotNull(section["Redis"]);
        section.Remove("Redis");
        section["Admin"]!["Url"] = "http://127.0.0.1:0";
        section["Admin"]!["StateFile"] = stateFile;
        var https = root["Kestrel"]!["Endpoints"]!["Https"]!;
        https["Url"] = "https://127.0.0.1:0";
        https["Certificate"] = new JsonObject { ["Path"] = Certificate.PfxPath, ["Password"] = TestCertificate.Password };
        return (root.ToJsonString(), 2 + section["Listeners"]!.AsObject().Count);
    }

    /// <summary>Compose's ${NAME}, ${NAME:?message} and ${NAME:-default}, from deploy/.env.</summary>
    private static string Interpolate(string value, Dictionary<string, string> dotEnv) =>
        Variable().Replace(value, m => dotEnv.TryGetValue(m.Groups[1].Value, out var set) ? set
            : m.Groups[2].Value == ":-" ? m.Groups[3].Value
            : throw new InvalidOperationException($"{m.Groups[1].Value} is required and not in deploy/.env"));

    private static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    private static YamlMappingNode LoadYaml(string path)
    {
        using var reader = new StringReader(File.ReadAllText(Repository.PathOf(path)));
        var stream = new YamlStream();
        stream.Load(new YamlDotNet.Core.MergingParser(new YamlDotNet.Core.Parser(reader)));
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static List<YamlMappingNode> LoadYamlDocuments(string path)
    {
        using var reader = new StringReader(File.ReadAllText(Repository.PathOf(path)));
        var stream = new YamlStream();
        stream.Load(reader);
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    [GeneratedRegex(@"Now listening on: \\?""?(http://127\.0\.0\.1:\d+)")]
    private static partial Regex PlainListening();

    [GeneratedRegex(@"\$\{(\w+)(?:(:[?-])([^}]*))?\}")]
    private static partial Regex Variable();
}
