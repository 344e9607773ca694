namespace ExchangeProxy.Hosting;

/// <summary>The meter every ExchangeProxy instrument belongs to (exported by the metrics endpoint).</summary>
public static class ProxyMetrics
{
    public const string MeterName = "ExchangeProxy";
}
