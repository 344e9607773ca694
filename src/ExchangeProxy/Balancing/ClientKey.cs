using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace ExchangeProxy.Balancing;

/// <summary>
/// A stick table key: a client address cut to its prefix, as 128 bits (IPv4 as ::ffff:a.b.c.d), so keys
/// hash and compare without allocating.
/// </summary>
public readonly record struct ClientKey(UInt128 Value)
{
    private const int MappedIPv4Bits = 96;

    public static ClientKey From(IPAddress address, int ipv4Prefix = 32, int ipv6Prefix = 128)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        Span<byte> bytes = stackalloc byte[16];
        int prefix;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            bytes[10] = 0xff;
            bytes[11] = 0xff;
            address.TryWriteBytes(bytes[12..], out _);
            prefix = MappedIPv4Bits + ipv4Prefix;
        }
        else
        {
            address.TryWriteBytes(bytes, out _);
            prefix = ipv6Prefix;
        }

        var value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        if (prefix < 128)
        {
            value &= ~(UInt128.MaxValue >> prefix);
        }

        return new ClientKey(value);
    }

    /// <summary>The address (the network's first address when a prefix applies), as people write it.</summary>
    public override string ToString()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, Value);
        var address = new IPAddress(bytes);
        return (address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address).ToString();
    }
}
