using System.Globalization;
using System.Net;

namespace ExchangeProxy.Import;

/// <summary>The client networks of <c>src</c> ACLs, written as the proxy's network lists take them (CIDR or an address).</summary>
public static class SourceNetworks
{
    /// <returns>The networks, or null when a term reads them from a file (<c>-f</c>), which the importer does not follow.</returns>
    public static List<string>? Of(IEnumerable<HaproxyTerm> terms, HaproxyLine line)
    {
        var networks = new List<string>();
        foreach (var match in terms.SelectMany(t => t.Matches))
        {
            if (match.File is not null)
            {
                return null;
            }

            foreach (var value in match.Values)
            {
                var network = Normalize(value, line);
                if (!networks.Contains(network))
                {
                    networks.Add(network);
                }
            }
        }

        return networks;
    }

    /// <summary>HAProxy accepts host bits in a network (10.1.2.3/8) and masks them; the proxy's lists want them zero.</summary>
    public static string Normalize(string value, HaproxyLine line)
    {
        var slash = value.IndexOf('/', StringComparison.Ordinal);
        var addressText = slash < 0 ? value : value[..slash];
        if (!IPAddress.TryParse(addressText, out var address))
        {
            throw new HaproxyImportException(line.Number, $"'{value}' is not an IP address or network");
        }

        var bits = address.GetAddressBytes().Length * 8;
        var prefix = bits;
        if (slash >= 0)
        {
            var prefixText = value[(slash + 1)..];
            if (prefixText.Contains('.', StringComparison.Ordinal) && IPAddress.TryParse(prefixText, out var mask) && mask.AddressFamily == address.AddressFamily)
            {
                prefix = mask.GetAddressBytes().Sum(b => BitCount(b));
            }
            else if (!int.TryParse(prefixText, NumberStyles.None, CultureInfo.InvariantCulture, out prefix) || prefix > bits)
            {
                throw new HaproxyImportException(line.Number, $"'{value}' is not an IP address or network");
            }
        }

        if (prefix == bits)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        for (var i = 0; i < bytes.Length; i++)
        {
            var keep = Math.Clamp(prefix - (i * 8), 0, 8);
            bytes[i] &= (byte)(0xFF << (8 - keep));
        }

        return string.Create(CultureInfo.InvariantCulture, $"{new IPAddress(bytes)}/{prefix}");
    }

    private static int BitCount(byte value) => System.Numerics.BitOperations.PopCount(value);
}
