namespace ExchangeProxy.Import;

/// <summary>A backend's check: <c>option httpchk</c> (Type http, with its path and Host), <c>ssl-hello-chk</c>, <c>smtpchk</c> or <c>tcp-check</c>.</summary>
public sealed record HaproxyHealthCheck(string Type, string? Path, string? Host, HaproxyLine Line);
