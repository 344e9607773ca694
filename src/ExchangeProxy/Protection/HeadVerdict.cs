namespace ExchangeProxy.Protection;

/// <summary>What <see cref="Http1FramingScanner"/> found in one request head: its request line, and why to refuse it (or null).</summary>
public sealed record HeadVerdict(string Method, string Target, string? Refusal);
