namespace ExchangeProxy.Import;

/// <summary>What became of one HAProxy line, from best to worst.</summary>
public enum ImportVerdict
{
    /// <summary>The proxy does the same thing (or already does it by default).</summary>
    Mapped,

    /// <summary>The proxy does something close; the report says how it differs.</summary>
    Approximated,

    /// <summary>No equivalent; the report says what to do instead.</summary>
    NotSupported,
}
