using Microsoft.Extensions.Configuration.Json;

namespace ExchangeProxy.Configuration;

/// <summary>
/// appsettings.json, except that a half-saved or mistyped file on reload keeps the previous content instead
/// of emptying the configuration (which would make Kestrel drop its listeners and YARP its routes).
/// </summary>
public sealed class GuardedJsonConfigurationSource : JsonConfigurationSource
{
    /// <summary>Raised when a reload is refused because the file is not valid JSON.</summary>
    public event Action<string, Exception>? ReloadRejected;

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new Provider(this);
    }

    private sealed class Provider(GuardedJsonConfigurationSource source) : JsonConfigurationProvider(source)
    {
        private bool _loaded;

        public override void Load(Stream stream)
        {
            try
            {
                base.Load(stream);
                _loaded = true;
            }
            catch (FormatException e) when (_loaded)
            {
                source.ReloadRejected?.Invoke(source.Path ?? "", e.InnerException ?? e);
            }
        }
    }
}
