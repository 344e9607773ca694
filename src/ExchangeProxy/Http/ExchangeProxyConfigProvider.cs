using ExchangeProxy.Configuration;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace ExchangeProxy.Http;

/// <summary>
/// Feeds YARP the routes and clusters generated from the Exchange model. YARP merges them with the
/// operator's own <c>ReverseProxy</c> section, which it reads through its own provider.
/// </summary>
public sealed class ExchangeProxyConfigProvider(ProxyModelStore store) : IProxyConfigProvider
{
    public IProxyConfig GetConfig()
    {
        // Take the token before the model so a swap in between is never missed.
        var changed = store.ChangeToken;
        return new Snapshot(store.Current, changed);
    }

    private sealed class Snapshot(ProxyModel model, IChangeToken changed) : IProxyConfig
    {
        public IReadOnlyList<RouteConfig> Routes { get; } = model.Services.Select(YarpModel.Route).ToList();

        public IReadOnlyList<ClusterConfig> Clusters { get; } = model.Services.Select(s => YarpModel.Cluster(s, model.ServerCertificateAuthorities)).ToList();

        public IChangeToken ChangeToken { get; } = changed;
    }
}
