namespace ExchangeProxy.Configuration;

/// <summary>Either a usable model or the list of what is wrong, never both.</summary>
public sealed class ConfigLoadResult
{
    private ConfigLoadResult(ProxyModel? model, IReadOnlyList<ConfigError> errors)
    {
        Model = model;
        Errors = errors;
    }

    public ProxyModel? Model { get; }

    public IReadOnlyList<ConfigError> Errors { get; }

    public static ConfigLoadResult Succeeded(ProxyModel model) => new(model, []);

    public static ConfigLoadResult Failed(params ConfigError[] errors) => new(null, errors);
}
