namespace ExchangeProxy.Configuration;

public enum RuleAction
{
    /// <summary>Answer 403.</summary>
    Forbid,

    /// <summary>Close the connection without an answer.</summary>
    Abort,
}
