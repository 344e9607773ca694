using System.Net;

namespace ExchangeProxy.Configuration;

/// <summary>Lists of networks as the operator writes them: CIDR ("10.0.0.0/8") or a single address.</summary>
public static class NetworkList
{
    /// <param name="key">The list's key; each entry's error names it with the entry's index.</param>
    public static List<IPNetwork> Parse(IReadOnlyList<string> configured, string key, List<ConfigError> errors)
    {
        var networks = new List<IPNetwork>();
        for (var i = 0; i < configured.Count; i++)
        {
            var text = configured[i].Trim();
            if (IPNetwork.TryParse(text, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(text, out var address))
            {
                networks.Add(new IPNetwork(address, address.GetAddressBytes().Length * 8));
            }
            else
            {
                errors.Add(new ConfigError($"{key}:{i}", $"'{configured[i]}' is not an IP address or CIDR network (e.g. 10.0.0.0/8)"));
            }
        }

        return networks;
    }
}
