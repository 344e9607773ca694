using System.Buffers;
using System.Text;

namespace ExchangeProxy.Protection;

/// <summary>
/// Follows the HTTP/1.1 requests of one client connection byte by byte, as Kestrel reads them, to judge each request
/// head on the bytes the client sent: Kestrel reads <c>Content-Length: +5</c> as 5 and a request with both lengths
/// by its chunked encoding, and keeps no trace of the raw form. Bodies are skipped by their framing (a 2 GB
/// RPC_IN_DATA body costs a subtraction per read); only heads and chunk-size lines are looked at. One
/// <see cref="HeadVerdict"/> per head, in order, for <see cref="StrictRequests"/>.
/// </summary>
public sealed class Http1FramingScanner
{
    // Far above Kestrel's own limits (request line and headers), which refuse such a head before we need to.
    private const int MaxHeadBytes = 1024 * 1024;
    private const int MaxChunkLine = 4096;

    private readonly HeadVerdicts _verdicts;
    // Holds the head (or chunk-size line) in progress only: an idle keep-alive connection holds no buffer.
    private readonly PooledBytes _head = new();
    private State _state = State.Head;
    private long _remaining;

    public Http1FramingScanner(HeadVerdicts verdicts) => _verdicts = verdicts;

    private enum State
    {
        Head,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        // A tunnel (CONNECT, Upgrade) or framing Kestrel refuses itself: no more requests to follow.
        Done,
    }

    public void Scan(ReadOnlySequence<byte> bytes)
    {
        foreach (var segment in bytes)
        {
            var span = segment.Span;
            while (span.Length > 0 && _state != State.Done)
            {
                span = span[Step(span)..];
            }
        }
    }

    /// <summary>Consumes the start of <paramref name="span"/>; returns how much.</summary>
    private int Step(ReadOnlySpan<byte> span)
    {
        switch (_state)
        {
            case State.Body:
            case State.ChunkData:
                var skipped = (int)Math.Min(_remaining, span.Length);
                _remaining -= skipped;
                if (_remaining == 0)
                {
                    _state = _state == State.Body ? State.Head : State.ChunkDataEnd;
                }

                return skipped;
            default:
                var newline = span.IndexOf((byte)'\n');
                var taken = newline < 0 ? span.Length : newline + 1;
                var limit = _state == State.Head ? MaxHeadBytes : MaxChunkLine;
                if (_head.WrittenCount + taken > limit)
                {
                    Stop();
                    return span.Length;
                }

                _head.Write(span[..taken]);
                if (newline >= 0)
                {
                    LineEnded();
                }

                return taken;
        }
    }

    private void LineEnded()
    {
        var written = _head.WrittenSpan;
        switch (_state)
        {
            case State.Head:
                var lastLine = LastLine(written);
                if (lastLine.Length == 0)
                {
                    if (written.Length == lastLine.Length + LineEndLength(written))
                    {
                        // An empty line before the request line (RFC 9112 2.2: ignored).
                        _head.Clear();
                        return;
                    }

                    HeadEnded(written);
                    _head.Clear();
                }

                return;
            case State.ChunkSize:
                var line = Trim(written);
                var extension = line.IndexOf((byte)';');
                var parsed = TryParseHex(Trim(extension < 0 ? line : line[..extension]), out var length);
                // After the line is read: Clear gives its array back to the pool.
                _head.Clear();
                if (!parsed)
                {
                    Stop();
                    return;
                }

                (_state, _remaining) = length == 0 ? (State.Trailers, 0L) : (State.ChunkData, length);
                return;
            case State.ChunkDataEnd:
                var ended = Trim(written).Length == 0;
                _head.Clear();
                if (!ended)
                {
                    Stop();
                    return;
                }

                _state = State.ChunkSize;
                return;
            case State.Trailers:
                var trailer = Trim(written).Length == 0;
                _head.Clear();
                if (trailer)
                {
                    _state = State.Head;
                }

                return;
        }
    }

    private void HeadEnded(ReadOnlySpan<byte> head)
    {
        // Spans, not strings: this runs for every request, and only the request line and the framing headers matter.
        var newline = head.IndexOf((byte)'\n');
        var requestLine = TrimEnd(head[..newline]);
        var firstSpace = requestLine.IndexOf((byte)' ');
        var method = firstSpace < 0 ? requestLine : requestLine[..firstSpace];
        var afterMethod = firstSpace < 0 ? [] : requestLine[(firstSpace + 1)..];
        var secondSpace = afterMethod.IndexOf((byte)' ');
        var target = secondSpace < 0 ? afterMethod : afterMethod[..secondSpace];
        var version = secondSpace < 0 ? [] : afterMethod[(secondSpace + 1)..];
        List<string>? lengths = null;
        List<string>? encodings = null;
        var upgrade = false;
        var connectionUpgrade = false;
        var rest = head[(newline + 1)..];
        while ((newline = rest.IndexOf((byte)'\n')) >= 0)
        {
            var line = TrimEnd(rest[..newline]);
            rest = rest[(newline + 1)..];
            var colon = line.IndexOf((byte)':');
            if (colon <= 0)
            {
                continue;
            }

            var name = line[..colon];
            var value = line[(colon + 1)..].Trim(" \t"u8);
            if (Ascii.EqualsIgnoreCase(name, "Content-Length"u8))
            {
                (lengths ??= []).Add(Encoding.Latin1.GetString(value));
            }
            else if (Ascii.EqualsIgnoreCase(name, "Transfer-Encoding"u8))
            {
                (encodings ??= []).Add(Encoding.Latin1.GetString(value));
            }
            else if (Ascii.EqualsIgnoreCase(name, "Upgrade"u8))
            {
                upgrade = true;
            }
            else if (Ascii.EqualsIgnoreCase(name, "Connection"u8))
            {
                connectionUpgrade |= HasToken(value, "upgrade"u8);
            }
        }

        var refusal = Judge(version.SequenceEqual("HTTP/1.0"u8), lengths ?? [], encodings ?? []);
        _verdicts.Add(new HeadVerdict(Encoding.Latin1.GetString(method), Encoding.Latin1.GetString(target), refusal));
        long length = 0;
        if (refusal is not null || method.SequenceEqual("CONNECT"u8) || (upgrade && connectionUpgrade)
            || (encodings is null && lengths is not null && !long.TryParse(lengths[0], System.Globalization.NumberStyles.None, null, out length)))
        {
            // Refused (the connection closes after the answer), a tunnel, or a length Kestrel refuses itself.
            Stop();
            return;
        }

        (_state, _remaining) = encodings is not null ? (State.ChunkSize, 0L) : length > 0 ? (State.Body, length) : (State.Head, 0L);
    }

    private static bool HasToken(ReadOnlySpan<byte> value, ReadOnlySpan<byte> token)
    {
        foreach (var range in value.Split((byte)','))
        {
            if (Ascii.EqualsIgnoreCase(value[range].Trim(" \t"u8), token))
            {
                return true;
            }
        }

        return false;
    }

    private static ReadOnlySpan<byte> TrimEnd(ReadOnlySpan<byte> line) => line.Length > 0 && line[^1] == '\r' ? line[..^1] : line;

    /// <summary>Why this head must be refused although Kestrel would serve it, or null.</summary>
    internal static string? Judge(bool http10, IReadOnlyList<string> lengths, IReadOnlyList<string> encodings)
    {
        foreach (var length in lengths)
        {
            if (length.Length == 0 || !length.All(char.IsAsciiDigit))
            {
                return $"Content-Length '{length}' is not a plain decimal number";
            }
        }

        if (encodings.Count == 0)
        {
            return null;
        }

        if (lengths.Count > 0)
        {
            return "both Content-Length and Transfer-Encoding (the shape of request smuggling)";
        }

        if (http10)
        {
            return "Transfer-Encoding in an HTTP/1.0 request";
        }

        return encodings.Count == 1 && encodings[0].Equals("chunked", StringComparison.OrdinalIgnoreCase)
            ? null
            : $"Transfer-Encoding '{string.Join(", ", encodings)}' (only a single 'chunked' is accepted)";
    }

    private void Stop()
    {
        _state = State.Done;
        _head.Clear();
        _verdicts.Blind();
    }

    private static ReadOnlySpan<byte> LastLine(ReadOnlySpan<byte> written)
    {
        var content = written[..^LineEndLength(written)];
        var start = content.LastIndexOf((byte)'\n') + 1;
        return content[start..];
    }

    private static int LineEndLength(ReadOnlySpan<byte> written) =>
        written.Length >= 2 && written[^2] == '\r' ? 2 : 1;

    private static ReadOnlySpan<byte> Trim(ReadOnlySpan<byte> line) => line.Trim(" \t\r\n"u8);

    private static bool TryParseHex(ReadOnlySpan<byte> digits, out long value)
    {
        value = 0;
        if (digits.Length is 0 or > 15)
        {
            return false;
        }

        foreach (var digit in digits)
        {
            var nibble = digit switch
            {
                >= (byte)'0' and <= (byte)'9' => digit - '0',
                >= (byte)'a' and <= (byte)'f' => digit - 'a' + 10,
                >= (byte)'A' and <= (byte)'F' => digit - 'A' + 10,
                _ => -1,
            };
            if (nibble < 0)
            {
                return false;
            }

            value = (value << 4) | (long)nibble;
        }

        return true;
    }

    /// <summary>Bytes in an ArrayPool array while there are any; Clear gives the array back.</summary>
    private sealed class PooledBytes
    {
        private byte[]? _array;

        public int WrittenCount { get; private set; }

        public ReadOnlySpan<byte> WrittenSpan => _array.AsSpan(0, WrittenCount);

        public void Write(ReadOnlySpan<byte> bytes)
        {
            if (_array is null || WrittenCount + bytes.Length > _array.Length)
            {
                var larger = ArrayPool<byte>.Shared.Rent(Math.Max(512, (WrittenCount + bytes.Length) * 2));
                WrittenSpan.CopyTo(larger);
                Return();
                _array = larger;
            }

            bytes.CopyTo(_array.AsSpan(WrittenCount));
            WrittenCount += bytes.Length;
        }

        public void Clear()
        {
            Return();
            WrittenCount = 0;
        }

        private void Return()
        {
            if (_array is not null)
            {
                ArrayPool<byte>.Shared.Return(_array);
                _array = null;
            }
        }
    }
}
