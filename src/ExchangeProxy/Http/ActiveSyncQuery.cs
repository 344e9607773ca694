using System.Text;

namespace ExchangeProxy.Http;

/// <summary>
/// Who and which device an ActiveSync request names: the plain query (<c>?Cmd=Sync&amp;User=…&amp;DeviceId=…&amp;DeviceType=…</c>)
/// or the base64-encoded one ([MS-ASHTTP] 2.2.1.1.1.1) that most phones send.
/// </summary>
public static class ActiveSyncQuery
{
    private const byte UserTag = 8;

    public static (string? User, string? DeviceId, string? DeviceType) Read(HttpRequest request)
    {
        var query = request.QueryString.Value;
        if (string.IsNullOrEmpty(query) || query.Length < 2)
        {
            return default;
        }

        if (query.Contains('=', StringComparison.Ordinal) && !query.EndsWith('=') || query.Contains('&', StringComparison.Ordinal))
        {
            var plain = request.Query;
            return (Text(plain["User"]), Text(plain["DeviceId"]), Text(plain["DeviceType"]));
        }

        return Base64(Uri.UnescapeDataString(query[1..]));
    }

    private static (string? User, string? DeviceId, string? DeviceType) Base64(string encoded)
    {
        var bytes = new byte[encoded.Length];
        if (!Convert.TryFromBase64String(encoded, bytes, out var length))
        {
            return default;
        }

        var data = bytes.AsSpan(0, length);
        // Version, command, locale (2), then length-prefixed DeviceId, PolicyKey and DeviceType, then tagged parameters.
        var at = 4;
        if (!Take(data, ref at, out var deviceId) || !Take(data, ref at, out _) || !Take(data, ref at, out var deviceType))
        {
            return default;
        }

        string? user = null;
        while (at + 2 <= data.Length)
        {
            var tag = data[at++];
            if (!Take(data, ref at, out var value))
            {
                break;
            }

            if (tag == UserTag)
            {
                user = Printable(value) ? Encoding.UTF8.GetString(value) : null;
            }
        }

        return (user, Printable(deviceId) ? Encoding.ASCII.GetString(deviceId) : Convert.ToHexString(deviceId),
            Printable(deviceType) ? Encoding.ASCII.GetString(deviceType) : null);
    }

    private static bool Take(ReadOnlySpan<byte> data, ref int at, out ReadOnlySpan<byte> value)
    {
        value = default;
        if (at >= data.Length || at + 1 + data[at] > data.Length)
        {
            return false;
        }

        value = data.Slice(at + 1, data[at]);
        at += 1 + data[at];
        return true;
    }

    private static bool Printable(ReadOnlySpan<byte> value) => value.Length > 0 && !value.ContainsAnyExceptInRange((byte)0x20, (byte)0x7e);

    private static string? Text(Microsoft.Extensions.Primitives.StringValues value) => value.Count == 0 || value[0] is not { Length: > 0 } text ? null : text;
}
