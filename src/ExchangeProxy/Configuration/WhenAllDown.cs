namespace ExchangeProxy.Configuration;

/// <summary>What a service does when none of its servers is up.</summary>
public enum WhenAllDown
{
    /// <summary>Answer 503 at once, without trying dead servers.</summary>
    Refuse,

    /// <summary>Try every server anyway (panic mode), as if all were up.</summary>
    UseAll,
}
