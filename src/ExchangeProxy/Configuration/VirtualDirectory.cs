namespace ExchangeProxy.Configuration;

/// <param name="MaxRequestBodySize">Bytes; 0 is no limit.</param>
public sealed record VirtualDirectory(string Name, string Path, long MaxRequestBodySize, TimeSpan ActivityTimeout, bool WindowsAuth);
