namespace ExchangeProxy.Configuration;

/// <summary>Defaults for services that are not Exchange virtual directories: YARP's and Kestrel's own.</summary>
public static class ForwarderDefaults
{
    public static readonly TimeSpan ActivityTimeout = TimeSpan.FromSeconds(100);

    public const long MaxRequestBodySize = 30_000_000;
}
