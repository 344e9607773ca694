using System.Text.Json;
using System.Text.Json.Nodes;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Writes an appsettings.json the way an operator would: a listener with a certificate file, servers, services.</summary>
public sealed class ProxyConfig
{
    public ProxyConfig(TestCertificate certificate, params FakeCasServer[] servers)
    {
        Certificate = certificate;
        Root = new JsonObject
        {
            ["ExchangeProxy"] = new JsonObject
            {
                ["Servers"] = new JsonArray([.. servers.Select(s => (JsonNode)new JsonObject { ["Name"] = s.Name, ["Address"] = s.Address })]),
                ["Services"] = new JsonObject(),
                // The fakes present self-signed certificates.
                ["AcceptAnyServerCertificate"] = true,
                // Tests run side by side: no fixed admin port.
                ["Admin"] = new JsonObject { ["Url"] = "http://127.0.0.1:0" },
            },
            ["Kestrel"] = new JsonObject
            {
                ["Endpoints"] = new JsonObject
                {
                    ["Https"] = new JsonObject
                    {
                        ["Url"] = "https://127.0.0.1:0",
                        ["Certificate"] = new JsonObject { ["Path"] = certificate.PfxPath, ["Password"] = TestCertificate.Password },
                    },
                },
            },
        };
    }

    public JsonObject Root { get; }

    public TestCertificate Certificate { get; }

    public JsonObject Section => Root["ExchangeProxy"]!.AsObject();

    public ProxyConfig Service(string name, JsonObject settings)
    {
        Section["Services"]![name] = settings;
        return this;
    }

    public ProxyConfig Listener(string name, JsonObject settings)
    {
        if (Section["Listeners"] is not JsonObject listeners)
        {
            Section["Listeners"] = listeners = new JsonObject();
        }

        listeners[name] = settings;
        return this;
    }

    public ProxyConfig Server(string name, string address)
    {
        Section["Servers"]!.AsArray().Add(new JsonObject { ["Name"] = name, ["Address"] = address });
        return this;
    }

    public string ToJson() => Root.ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    public string WriteTo(string path)
    {
        // Write then rename, as editors do, so the file watcher never sees half a file.
        var temp = path + ".tmp";
        File.WriteAllText(temp, ToJson());
        File.Move(temp, path, overwrite: true);
        return path;
    }
}
