namespace ExchangeProxy.Http;

/// <summary>What a dedicated backend connection reports to its owner.</summary>
public interface IDedicatedConnectionEvents
{
    /// <summary>A TCP connection to the server was opened (the first, or a replacement for a lost one).</summary>
    void Connected();

    /// <summary>Response headers arrived, before they are copied to the client.</summary>
    void Answered(HttpResponseMessage response);
}
