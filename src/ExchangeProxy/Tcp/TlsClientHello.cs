using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using System.Text;

namespace ExchangeProxy.Tcp;

/// <summary>
/// Reads the server name (SNI) from a TLS ClientHello without consuming it, so the bytes still go to the
/// server untouched. Only the first TLS record is read, which holds the ClientHello of every common client.
/// </summary>
public static class TlsClientHello
{
    private const int MaxRecord = 5 + 16384;

    /// <summary>The server name, or null when the client sent none or does not speak TLS.</summary>
    public static async ValueTask<string?> PeekServerNameAsync(PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var record = RecordLength(buffer);
            if (record is null || buffer.Length >= record || result.IsCompleted)
            {
                var name = record is { } length && buffer.Length >= length ? ServerName(buffer.Slice(0, length).ToArray()) : null;
                input.AdvanceTo(buffer.Start);
                return name;
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    /// <summary>The length of the first record if it is a handshake record; null when it is not TLS.</summary>
    private static long? RecordLength(ReadOnlySequence<byte> buffer)
    {
        if (buffer.Length < 5)
        {
            return buffer.Length == 0 || buffer.FirstSpan[0] == 0x16 ? long.MaxValue : null;
        }

        Span<byte> header = stackalloc byte[5];
        buffer.Slice(0, 5).CopyTo(header);
        var length = 5 + BinaryPrimitives.ReadUInt16BigEndian(header[3..]);
        return header[0] == 0x16 && length <= MaxRecord ? length : null;
    }

    internal static string? ServerName(ReadOnlySpan<byte> record)
    {
        var at = 5;
        // Handshake: type 1 (ClientHello), 3-byte length; then version (2) and random (32).
        if (record.Length < at + 4 || record[at] != 0x01)
        {
            return null;
        }

        at += 4 + 2 + 32;
        if (!Skip(record, ref at, 1) || !Skip(record, ref at, 2) || !Skip(record, ref at, 1) || record.Length < at + 2)
        {
            return null;
        }

        var end = at + 2 + BinaryPrimitives.ReadUInt16BigEndian(record[at..]);
        at += 2;
        while (at + 4 <= Math.Min(end, record.Length))
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(record[at..]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(record[(at + 2)..]);
            at += 4;
            if (at + length > record.Length)
            {
                return null;
            }

            if (type == 0x0000 && length >= 5 && record[at + 2] == 0x00)
            {
                var nameLength = BinaryPrimitives.ReadUInt16BigEndian(record[(at + 3)..]);
                return at + 5 + nameLength <= record.Length ? Encoding.ASCII.GetString(record.Slice(at + 5, nameLength)) : null;
            }

            at += length;
        }

        return null;
    }

    /// <summary>Skips a vector whose length takes <paramref name="lengthBytes"/> bytes.</summary>
    private static bool Skip(ReadOnlySpan<byte> record, ref int at, int lengthBytes)
    {
        if (record.Length < at + lengthBytes)
        {
            return false;
        }

        var length = lengthBytes == 1 ? record[at] : BinaryPrimitives.ReadUInt16BigEndian(record[at..]);
        at += lengthBytes + length;
        return at <= record.Length;
    }
}
