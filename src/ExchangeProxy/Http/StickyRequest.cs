namespace ExchangeProxy.Http;

/// <summary>
/// A feature marking a request that must reach the server it is bound to (client-IP affinity found its
/// entry, or its connection is pinned for Windows auth), so draining does not turn it away.
/// </summary>
public sealed class StickyRequest
{
    public static readonly StickyRequest Instance = new();

    private StickyRequest()
    {
    }

    public static void Mark(HttpContext context) => context.Features.Set(Instance);

    public static bool Is(HttpContext context) => context.Features.Get<StickyRequest>() is not null;
}
