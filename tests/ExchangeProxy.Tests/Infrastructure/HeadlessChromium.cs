using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json.Nodes;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>
/// The Debian <c>chromium</c>, headless, driven over the Chrome DevTools protocol: one page, JavaScript
/// evaluated in it, screenshots. Loopback only (the debugging port and the pages it opens).
/// </summary>
public sealed class HeadlessChromium : IAsyncDisposable
{
    public const string Executable = "/usr/bin/chromium";

    private readonly ProxyProcess _process;
    private readonly string _profile;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<int, TaskCompletionSource<JsonNode>> _pending = new();
    private readonly CancellationTokenSource _stop = new();
    private Task _receiving = Task.CompletedTask;
    private string _session = "";
    private int _nextId;

    private HeadlessChromium(ProxyProcess process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    public static async Task<HeadlessChromium> StartAsync()
    {
        Assert.True(File.Exists(Executable), $"{Executable} is missing: tests/run.sh installs the Debian chromium package");
        var profile = Directory.CreateTempSubdirectory("exproxy-chromium-").FullName;
        var process = ProxyProcess.Start(Executable,
            ["--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--remote-debugging-address=127.0.0.1",
             "--remote-debugging-port=0", $"--user-data-dir={profile}", "--window-size=1400,900", "about:blank"]);
        var browser = new HeadlessChromium(process, profile);
        try
        {
            string? url = null;
            await Eventually.TrueAsync(() => (url = DevToolsUrl(process.Stderr)) is not null, "chromium opens its DevTools port", TimeSpan.FromSeconds(60));
            await browser._socket.ConnectAsync(new Uri(url!), CancellationToken.None);
            browser._receiving = browser.ReceiveAsync();
            var target = await browser.SendAsync("Target.createTarget", new JsonObject { ["url"] = "about:blank" }, session: false);
            var attached = await browser.SendAsync("Target.attachToTarget",
                new JsonObject { ["targetId"] = target["targetId"]!.GetValue<string>(), ["flatten"] = true }, session: false);
            browser._session = attached["sessionId"]!.GetValue<string>();
            await browser.SendAsync("Page.enable", new JsonObject());
            return browser;
        }
        catch
        {
            await browser.DisposeAsync();
            throw;
        }
    }

    public Task NavigateAsync(Uri url) => SendAsync("Page.navigate", new JsonObject { ["url"] = url.AbsoluteUri });

    /// <summary>Evaluates a JavaScript expression in the page and returns its value (JSON).</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        var result = await SendAsync("Runtime.evaluate", new JsonObject { ["expression"] = expression, ["returnByValue"] = true, ["awaitPromise"] = true });
        if (result["exceptionDetails"] is { } error)
        {
            throw new InvalidOperationException($"{expression}: {error.ToJsonString()}");
        }

        return result["result"]?["value"];
    }

    public async Task<bool> TrueAsync(string expression) => (await EvaluateAsync(expression))?.GetValue<bool>() == true;

    public async Task<byte[]> ScreenshotAsync()
    {
        var shot = await SendAsync("Page.captureScreenshot", new JsonObject { ["format"] = "png", ["captureBeyondViewport"] = true });
        return Convert.FromBase64String(shot["data"]!.GetValue<string>());
    }

    private static string? DevToolsUrl(string stderr)
    {
        var at = stderr.IndexOf("DevTools listening on ", StringComparison.Ordinal);
        if (at < 0)
        {
            return null;
        }

        var end = stderr.IndexOf('\n', at);
        return end < 0 ? null : stderr[(at + "DevTools listening on ".Length)..end].Trim();
    }

    private async Task<JsonNode> SendAsync(string method, JsonObject parameters, bool session = true)
    {
        var id = Interlocked.Increment(ref _nextId);
        var message = new JsonObject { ["id"] = id, ["method"] = method, ["params"] = parameters };
        if (session)
        {
            message["sessionId"] = _session;
        }

        var answer = new TaskCompletionSource<JsonNode>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        await _socket.SendAsync(Encoding.UTF8.GetBytes(message.ToJsonString()), WebSocketMessageType.Text, true, _stop.Token);
        var reply = await answer.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return reply["error"] is { } error
            ? throw new InvalidOperationException($"{method}: {error.ToJsonString()}")
            : reply["result"] ?? new JsonObject();
    }

    private async Task ReceiveAsync()
    {
        var buffer = new byte[1024 * 1024];
        using var message = new MemoryStream();
        try
        {
            while (_socket.State == WebSocketState.Open)
            {
                var result = await _socket.ReceiveAsync(buffer, _stop.Token);
                message.Write(buffer, 0, result.Count);
                if (!result.EndOfMessage)
                {
                    continue;
                }

                var node = JsonNode.Parse(message.ToArray());
                message.SetLength(0);
                if (node?["id"]?.GetValue<int>() is { } id && _pending.TryRemove(id, out var answer))
                {
                    answer.SetResult(node);
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _socket.Dispose();
        await _receiving;
        await _process.DisposeAsync();
        _stop.Dispose();
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // Chromium's helpers may still hold files for a moment; the temporary directory is the system's to clean.
        }
    }
}
