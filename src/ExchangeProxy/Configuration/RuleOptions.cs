namespace ExchangeProxy.Configuration;

public sealed class RuleOptions
{
    public bool? Enabled { get; set; }

    /// <summary>Uri (decoded path and query), Path, Query, Cookie, or Header:Name.</summary>
    public string? Target { get; set; }

    /// <summary>A regular expression, matched case-insensitively against the decoded target.</summary>
    public string? Pattern { get; set; }

    public RuleAction? Action { get; set; }
}
