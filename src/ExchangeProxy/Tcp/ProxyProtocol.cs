using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;
using ExchangeProxy.Configuration;

namespace ExchangeProxy.Tcp;

/// <summary>
/// The PROXY protocol (haproxy.org/download/2.6/doc/proxy-protocol.txt): the header a relay sends first so
/// the next hop learns the client's address. Version 1 is a text line, version 2 a binary block.
/// </summary>
public static class ProxyProtocol
{
    private const int MaxV1Length = 107;
    private static readonly byte[] V2Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>The header announcing a connection from <paramref name="client"/> to <paramref name="local"/>.</summary>
    public static byte[] Header(ProxyProtocolVersion version, IPEndPoint client, IPEndPoint local)
    {
        var source = Normalize(client);
        var destination = Normalize(local);
        var v6 = source.AddressFamily == AddressFamily.InterNetworkV6 || destination.AddressFamily == AddressFamily.InterNetworkV6;
        if (v6)
        {
            source = new IPEndPoint(source.Address.MapToIPv6(), source.Port);
            destination = new IPEndPoint(destination.Address.MapToIPv6(), destination.Port);
        }

        if (version == ProxyProtocolVersion.V1)
        {
            return Encoding.ASCII.GetBytes(
                $"PROXY {(v6 ? "TCP6" : "TCP4")} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");
        }

        var addressLength = v6 ? 16 : 4;
        var header = new byte[16 + (2 * addressLength) + 4];
        V2Signature.CopyTo(header, 0);
        header[12] = 0x21; // version 2, PROXY
        header[13] = (byte)(v6 ? 0x21 : 0x11); // TCP over IPv6 / IPv4
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), (ushort)((2 * addressLength) + 4));
        source.Address.TryWriteBytes(header.AsSpan(16, addressLength), out _);
        destination.Address.TryWriteBytes(header.AsSpan(16 + addressLength, addressLength), out _);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(16 + (2 * addressLength)), (ushort)source.Port);
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(18 + (2 * addressLength)), (ushort)destination.Port);
        return header;
    }

    /// <summary>
    /// Reads the header an upstream relay sent (v1 or v2) and returns the client it names; null for LOCAL or
    /// UNKNOWN (the relay's own connection). Throws <see cref="InvalidDataException"/> for anything else.
    /// </summary>
    public static async ValueTask<IPEndPoint?> ReadAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (TryParse(buffer, out var consumed, out var client))
            {
                input.AdvanceTo(buffer.GetPosition(consumed));
                return client;
            }

            if (result.IsCompleted || buffer.Length > 16 + 536)
            {
                throw new InvalidDataException(buffer.Length == 0 ? "the connection closed before a PROXY header" : "no valid PROXY header");
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <returns>False when more bytes are needed.</returns>
    internal static bool TryParse(ReadOnlySequence<byte> buffer, out long consumed, out IPEndPoint? client)
    {
        consumed = 0;
        client = null;
        Span<byte> start = stackalloc byte[16];
        var available = (int)Math.Min(buffer.Length, 16);
        buffer.Slice(0, available).CopyTo(start);
        if (available >= 5 && start[..5].SequenceEqual("PROXY"u8))
        {
            return TryParseV1(buffer, out consumed, out client);
        }

        if (!V2Signature.AsSpan(0, Math.Min(available, 12)).SequenceEqual(start[..Math.Min(available, 12)]))
        {
            throw new InvalidDataException("no PROXY header");
        }

        if (available < 16)
        {
            return false;
        }

        var length = BinaryPrimitives.ReadUInt16BigEndian(start[14..]);
        if (buffer.Length < 16 + length)
        {
            return false;
        }

        consumed = 16 + length;
        if (start[12] >> 4 != 2)
        {
            throw new InvalidDataException("PROXY v2 header of an unknown version");
        }

        if ((start[12] & 0x0F) == 0)
        {
            return true; // LOCAL: the relay's own health check
        }

        var body = buffer.Slice(16, length).ToArray();
        client = (start[13] >> 4) switch
        {
            1 when length >= 12 => new IPEndPoint(new IPAddress(body.AsSpan(0, 4)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(8))),
            2 when length >= 36 => new IPEndPoint(new IPAddress(body.AsSpan(0, 16)), BinaryPrimitives.ReadUInt16BigEndian(body.AsSpan(32))),
            _ => null,
        };
        return true;
    }

    private static bool TryParseV1(ReadOnlySequence<byte> buffer, out long consumed, out IPEndPoint? client)
    {
        consumed = 0;
        client = null;
        var reader = new SequenceReader<byte>(buffer);
        if (!reader.TryReadTo(out ReadOnlySequence<byte> line, "\r\n"u8))
        {
            if (buffer.Length > MaxV1Length)
            {
                throw new InvalidDataException("PROXY v1 header longer than 107 bytes");
            }

            return false;
        }

        consumed = reader.Consumed;
        var parts = Encoding.ASCII.GetString(line).Split(' ');
        if (parts is ["PROXY", "UNKNOWN", ..])
        {
            return true;
        }

        if (parts is not ["PROXY", "TCP4" or "TCP6", var source, _, var sourcePort, _]
            || !IPAddress.TryParse(source, out var address) || !ushort.TryParse(sourcePort, out var port))
        {
            throw new InvalidDataException("malformed PROXY v1 header");
        }

        client = new IPEndPoint(address, port);
        return true;
    }

    private static IPEndPoint Normalize(IPEndPoint endpoint) =>
        endpoint.Address.IsIPv4MappedToIPv6 ? new IPEndPoint(endpoint.Address.MapToIPv4(), endpoint.Port) : endpoint;
}
