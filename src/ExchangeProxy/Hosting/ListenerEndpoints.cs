using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace ExchangeProxy.Hosting;

/// <summary>The listeners the proxy declares in code (admin, HTTP redirect, layer 4), by name, with the address each one is bound to.</summary>
public sealed class ListenerEndpoints
{
    public const string Admin = "admin";
    public const string HttpRedirect = "http-redirect";

    private readonly ConcurrentDictionary<string, ListenOptions> _listeners = new(StringComparer.OrdinalIgnoreCase);

    public void Add(string name, ListenOptions listen) => _listeners[name] = listen;

    /// <summary>Once the server has started, the bound address (the real port where 0 was asked for).</summary>
    public IPEndPoint? Of(string name) => _listeners.TryGetValue(name, out var listen) ? listen.IPEndPoint : null;
}
