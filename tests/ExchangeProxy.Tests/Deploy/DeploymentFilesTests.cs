using System.Text;
using ExchangeProxy.Configuration;
using ExchangeProxy.Tests.Infrastructure;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace ExchangeProxy.Tests.Deploy;

/// <summary>
/// deploy/ holds what operators run: each file is parsed and held to what the product needs of it. No
/// kubectl or Docker here, so the YAML is read with YamlDotNet and the embedded configurations with the
/// proxy's own loader.
/// </summary>
public sealed class DeploymentFilesTests
{
    private static readonly Dictionary<string, string?> AdminKey = new()
    {
        ["ExchangeProxy:Admin:ApiKeySha256"] = new string('a', 64),
    };

    [Fact]
    public void The_compose_file_runs_two_instances_sharing_a_redis_with_read_only_config_and_a_local_admin_port()
    {
        var compose = LoadYaml("deploy/docker-compose.yml").Single();
        var services = Map(compose, "services");
        var proxies = services.Children.Where(s => s.Key.ToString().StartsWith("proxy", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, proxies.Count);
        Assert.True(services.Children.ContainsKey(new YamlScalarNode("redis")));
        var config = ProxyConfigOf(File.ReadAllText(Repository.PathOf("deploy/appsettings.example.json")));
        Assert.StartsWith("redis:", config.Redis!.Configuration, StringComparison.Ordinal);

        foreach (var (name, node) in proxies.Select(p => (p.Key.ToString(), (YamlMappingNode)p.Value)))
        {
            var volumes = Sequence(node, "volumes").Select(v => v.ToString()).ToList();
            Assert.Contains("./appsettings.json:/etc/exchangeproxy/appsettings.json:ro", volumes);
            Assert.Contains("./certs:/etc/exchangeproxy/certs:ro", volumes);
            Assert.Contains(volumes, v => v.EndsWith(":/var/lib/exchangeproxy", StringComparison.Ordinal));
            Assert.Equal("true", Scalar(node, "read_only"));
            Assert.Equal("unless-stopped", Scalar(node, "restart"));
            Assert.Contains("/health/live", string.Join(" ", Sequence(Map(node, "healthcheck"), "test")), StringComparison.Ordinal);
            Assert.True(TimeSpan.FromSeconds(int.Parse(Scalar(node, "stop_grace_period").TrimEnd('s'), System.Globalization.CultureInfo.InvariantCulture))
                > config.ShutdownGracePeriod, $"{name}: stop_grace_period outlasts ShutdownGracePeriod");

            // Scripts sign in with the key, browsers (the stats page) as a user: both hashes from deploy/.env.
            var environment = Map(node, "environment");
            Assert.StartsWith("${ADMIN_KEY_SHA256:?", Scalar(environment, "ExchangeProxy__Admin__ApiKeySha256"), StringComparison.Ordinal);
            Assert.NotEmpty(Scalar(environment, "ExchangeProxy__Admin__Users__0__Name"));
            Assert.StartsWith("${ADMIN_PASSWORD_HASH:?", Scalar(environment, "ExchangeProxy__Admin__Users__0__PasswordHash"), StringComparison.Ordinal);

            var ports = Sequence(node, "ports").Select(p => p.ToString()).ToList();
            Assert.Contains(ports, p => p.EndsWith(":" + config.HttpRedirect!.Listen.Port, StringComparison.Ordinal));
            Assert.Contains(ports, p => p.StartsWith("127.0.0.1:", StringComparison.Ordinal) && p.EndsWith(":4711", StringComparison.Ordinal));
            Assert.DoesNotContain(ports, p => p.EndsWith(":4711", StringComparison.Ordinal) && !p.StartsWith("127.0.0.1:", StringComparison.Ordinal));
            // Every published container port is one the configuration listens on.
            var listening = ListeningPorts(config);
            Assert.All(ports, p => Assert.Contains(int.Parse(p.Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture), listening));
        }
    }

    [Fact]
    public void The_kubernetes_manifests_hold_the_invariants_of_a_safe_deployment()
    {
        var documents = Directory.GetFiles(Repository.PathOf("deploy/kubernetes"), "*.yaml")
            .SelectMany(f => LoadYaml(Path.GetRelativePath(Repository.Root, f)))
            .ToList();
        YamlMappingNode Kind(string kind, string name) => documents.Single(d =>
            Scalar(d, "kind") == kind && Scalar(Map(d, "metadata"), "name") == name);

        var deployment = Kind("Deployment", "exchangeproxy");
        var spec = Map(deployment, "spec");
        Assert.True(int.Parse(Scalar(spec, "replicas"), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        var labels = Map(Map(spec, "selector"), "matchLabels");
        var pod = Map(Map(spec, "template"), "spec");
        Assert.Equal("true", Scalar(Map(pod, "securityContext"), "runAsNonRoot"));
        var container = (YamlMappingNode)Sequence(pod, "containers").Single();
        var security = Map(container, "securityContext");
        Assert.Equal("true", Scalar(security, "readOnlyRootFilesystem"));
        Assert.Equal("false", Scalar(security, "allowPrivilegeEscalation"));
        foreach (var bound in new[] { "requests", "limits" })
        {
            Assert.NotNull(Scalar(Map(Map(container, "resources"), bound), "cpu"));
            Assert.NotNull(Scalar(Map(Map(container, "resources"), bound), "memory"));
        }

        Assert.Equal("/health/live", Scalar(Map(Map(container, "livenessProbe"), "httpGet"), "path"));
        Assert.Equal("/health/ready", Scalar(Map(Map(container, "readinessProbe"), "httpGet"), "path"));

        // The configuration the ConfigMap carries is one the proxy accepts, at the path the container reads.
        var configMap = Kind("ConfigMap", "exchangeproxy-config");
        var config = ProxyConfigOf(Scalar(Map(configMap, "data"), "appsettings.json"));
        var env = Sequence(container, "env").Cast<YamlMappingNode>().ToDictionary(e => Scalar(e, "name"));
        var mounts = Sequence(container, "volumeMounts").Cast<YamlMappingNode>().ToDictionary(m => Scalar(m, "name"), m => Scalar(m, "mountPath"));
        Assert.Equal(mounts["config"] + "/appsettings.json", Scalar(env["EXCHANGEPROXY_CONFIG"], "value"));
        Assert.Equal("exchangeproxy-config", Scalar(Map(VolumeNamed(pod, "config"), "configMap"), "name"));
        Assert.Equal(mounts["state"], Path.GetDirectoryName(config.Admin.StateFile));
        Assert.True(mounts.ContainsKey("tmp"), "a writable /tmp beside the read-only root");

        // SIGTERM: the pod gets longer than the proxy's grace period, plus the preStop pause.
        Assert.True(TimeSpan.FromSeconds(int.Parse(Scalar(pod, "terminationGracePeriodSeconds"), System.Globalization.CultureInfo.InvariantCulture))
            >= config.ShutdownGracePeriod + TimeSpan.FromSeconds(10));

        // The certificate, the admin key and the stats page user's password come from the Secret, and are where the
        // configuration expects them. The Secret is the operator's, created as the Deployment's header says: no
        // placeholder in the applied folder overwrites it.
        Assert.DoesNotContain(documents, d => Scalar(d, "kind") == "Secret");
        var secretKeys = SecretKeysCreatedBy(File.ReadAllText(Repository.PathOf("deploy/kubernetes/deployment.yaml")), "exchangeproxy-secrets");
        foreach (var fromSecret in new[] { "ExchangeProxy__Admin__ApiKeySha256", "ExchangeProxy__Admin__Users__0__PasswordHash" })
        {
            var reference = Map(Map(env[fromSecret], "valueFrom"), "secretKeyRef");
            Assert.Equal("exchangeproxy-secrets", Scalar(reference, "name"));
            Assert.Contains(Scalar(reference, "key"), secretKeys);
        }

        Assert.NotEmpty(Scalar(env["ExchangeProxy__Admin__Users__0__Name"], "value"));
        var certs = Map(VolumeNamed(pod, "certs"), "secret");
        Assert.Equal("exchangeproxy-secrets", Scalar(certs, "secretName"));
        Assert.All(Sequence(certs, "items").Cast<YamlMappingNode>(), item => Assert.Contains(Scalar(item, "key"), secretKeys));
        Assert.Contains("mail.pfx", secretKeys);
        Assert.Equal("/etc/exchangeproxy/certs/mail.pfx", mounts["certs"] + "/mail.pfx");

        // The public Service keeps client addresses and reaches ports the container declares and the proxy listens on.
        var service = Kind("Service", "exchangeproxy");
        Assert.Equal("LoadBalancer", Scalar(Map(service, "spec"), "type"));
        Assert.Equal("Local", Scalar(Map(service, "spec"), "externalTrafficPolicy"));
        var containerPorts = Sequence(container, "ports").Cast<YamlMappingNode>()
            .ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort"), System.Globalization.CultureInfo.InvariantCulture));
        var listening = ListeningPorts(config);
        Assert.All(containerPorts.Values, port => Assert.Contains(port, listening));
        Assert.All(Sequence(Map(service, "spec"), "ports").Cast<YamlMappingNode>(), p => Assert.Contains(Scalar(p, "targetPort"), containerPorts.Keys));
        Assert.Equal(Map(Map(service, "spec"), "selector"), labels);

        var budget = Kind("PodDisruptionBudget", "exchangeproxy");
        Assert.Equal("1", Scalar(Map(budget, "spec"), "minAvailable"));
        Assert.Equal(labels, Map(Map(Map(budget, "spec"), "selector"), "matchLabels"));

        // Redis, by the name the configuration uses.
        Kind("Deployment", "exchangeproxy-redis");
        Kind("Service", config.Redis!.Configuration.Split(':')[0]);
    }

    [Fact]
    public void The_systemd_unit_and_the_keepalived_pair_point_at_what_the_proxy_provides()
    {
        var unit = File.ReadAllLines(Repository.PathOf("deploy/systemd/exchangeproxy.service"))
            .Where(l => l.Contains('=', StringComparison.Ordinal) && !l.StartsWith('#'))
            .Select(l => l.Split('=', 2))
            .GroupBy(p => p[0], p => p[1])
            .ToDictionary(g => g.Key, g => g.ToList());
        Assert.Equal(["exchangeproxy"], unit["User"]);
        Assert.Equal(["/usr/bin/dotnet /opt/exchangeproxy/ExchangeProxy.dll"], unit["ExecStart"]);
        Assert.Contains("EXCHANGEPROXY_CONFIG=/etc/exchangeproxy/appsettings.json", unit["Environment"]);
        foreach (var hardening in new[] { "NoNewPrivileges", "ProtectSystem", "ProtectHome", "PrivateTmp", "RestrictAddressFamilies" })
        {
            Assert.True(unit.ContainsKey(hardening), hardening);
        }

        Assert.True(TimeSpan.FromSeconds(int.Parse(unit["TimeoutStopSec"].Single(), System.Globalization.CultureInfo.InvariantCulture)) > ProxyModel.DefaultShutdownGracePeriod);
        Assert.Equal(["CAP_NET_BIND_SERVICE"], unit["AmbientCapabilities"]);

        var keepalived = File.ReadAllText(Repository.PathOf("deploy/keepalived/keepalived.conf"));
        Assert.Contains($"{AdminSettings.DefaultUrl}/health/ready", keepalived, StringComparison.Ordinal);
        Assert.Contains("track_script", keepalived, StringComparison.Ordinal);
    }

    private static ProxyModel ProxyConfigOf(string json)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json)))
            .AddInMemoryCollection(AdminKey)
            .Build();
        var result = ProxyModelLoader.Load(configuration);
        Assert.True(result.Model is not null, string.Join("; ", result.Errors));
        return result.Model!;
    }

    /// <summary>The keys of the named Secret that the documented <c>kubectl create secret generic</c> command creates.</summary>
    private static HashSet<string> SecretKeysCreatedBy(string text, string name)
    {
        var command = string.Join(" ", text.Split('\n').Select(l => l.TrimStart('#', ' ').TrimEnd('\\', ' ')))
            .Split($"kubectl create secret generic {name} ", 2)[1];
        return [.. System.Text.RegularExpressions.Regex.Matches(command, "--from-(?:file|literal)=([A-Za-z0-9._-]+)=").Select(m => m.Groups[1].Value)];
    }

    /// <summary>The ports the configuration listens on: the HTTPS endpoint, the layer-4 listeners, the admin and the HTTP redirect listeners.</summary>
    private static HashSet<int> ListeningPorts(ProxyModel model) =>
    [
        8443,
        .. model.HttpRedirect is { } redirect ? [redirect.Listen.Port] : Array.Empty<int>(),
        .. model.TcpServices.Where(t => t.Listen is not null).Select(t => t.Listen!.Port),
        model.Admin.Url!.Port,
    ];

    private static List<YamlMappingNode> LoadYaml(string path)
    {
        using var reader = new StringReader(File.ReadAllText(Repository.PathOf(path)));
        var stream = new YamlStream();
        // Merge keys (<<: *anchor) as Compose reads them.
        stream.Load(new MergingParser(new Parser(reader)));
        return [.. stream.Documents.Select(d => (YamlMappingNode)d.RootNode)];
    }

    private static YamlMappingNode Map(YamlMappingNode node, string key) => (YamlMappingNode)node[new YamlScalarNode(key)];

    private static YamlSequenceNode Sequence(YamlMappingNode node, string key) => (YamlSequenceNode)node[new YamlScalarNode(key)];

    private static string Scalar(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? ((YamlScalarNode)value).Value! : null!;

    private static YamlMappingNode VolumeNamed(YamlMappingNode pod, string name) =>
        Sequence(pod, "volumes").Cast<YamlMappingNode>().Single(v => Scalar(v, "name") == name);
}
