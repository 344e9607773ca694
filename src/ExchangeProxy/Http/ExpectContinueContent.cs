using System.Net;

namespace ExchangeProxy.Http;

/// <summary>
/// The body of a request sent with <c>Expect: 100-continue</c>, forwarded so that the client hears the server's
/// verdict before it uploads. Kestrel tells the client to continue when the body is first read, so the client's
/// body is read only once the server said 100 Continue (or SocketsHttpHandler stopped waiting for it). When the
/// server answered first and SocketsHttpHandler sends a body all the same (it does for an NTLM or Negotiate
/// challenge, to keep the connection the handshake is bound to, and for bodies of up to 1 KB), the server gets
/// zeros of the announced length instead: it has answered already and discards them, its connection stays in
/// step for the handshake's next leg, and the client gets the answer without being told to continue.
/// </summary>
public sealed class ExpectContinueContent : HttpContent
{
    private static readonly AsyncLocal<ExpectContinueContent?> Watched = new();
    private static readonly byte[] Zeros = new byte[16 * 1024];
    private readonly HttpContent _inner;
    private readonly byte[] _statusLine = new byte[12];
    private int _received;
    private volatile int _answeredFirst;
    private volatile bool _decided;
    private ExpectContinueStream? _connection;

    public ExpectContinueContent(HttpContent inner)
    {
        _inner = inner;
        foreach (var header in inner.Headers)
        {
            Headers.TryAddWithoutValidation(header.Key, header.Value);
        }
    }

    /// <summary>The request whose server connection is being read in this flow, while it waits for a verdict.</summary>
    internal static ExpectContinueContent? Current => Watched.Value;

    /// <summary>The status the server answered with before the body was asked for; 0 when it said continue or has not answered.</summary>
    public int AnsweredFirst => _answeredFirst;

    /// <summary>Starts watching one attempt to send the request (a retry to another server starts again).</summary>
    internal void Begin()
    {
        _received = 0;
        _answeredFirst = 0;
        _decided = false;
        _connection = null;
        Watched.Value = this;
    }

    internal void End()
    {
        Watched.Value = null;
        _decided = true;
        _connection?.EndDiscarding();
    }

    /// <summary>Bytes read from the server connection: the first status line says whether the server answered before the body.</summary>
    internal void Observe(ReadOnlySpan<byte> received, ExpectContinueStream connection)
    {
        if (_decided)
        {
            return;
        }

        _connection = connection;
        var take = Math.Min(received.Length, _statusLine.Length - _received);
        received[..take].CopyTo(_statusLine.AsSpan(_received));
        _received += take;
        if (_received < _statusLine.Length)
        {
            return;
        }

        _decided = true;
        // "HTTP/1.1 401": anything else is left to SocketsHttpHandler, and the body is the client's.
        var line = _statusLine.AsSpan();
        if (line.StartsWith("HTTP/1."u8) && line[8] == (byte)' '
            && int.TryParse(line[9..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var status)
            && status >= 200)
        {
            _answeredFirst = status;
        }
    }

    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context, CancellationToken cancellationToken)
    {
        _decided = true;
        if (_answeredFirst == 0)
        {
            await _inner.CopyToAsync(stream, context, cancellationToken);
            return;
        }

        // A chunked body (no length) ends with its empty last chunk, which SocketsHttpHandler writes.
        var remaining = Headers.ContentLength ?? 0;
        while (remaining > 0)
        {
            var count = (int)Math.Min(remaining, Zeros.Length);
            try
            {
                await stream.WriteAsync(Zeros.AsMemory(0, count), cancellationToken);
            }
            catch (IOException) when (_connection is { } connection)
            {
                // The server closed after answering, as IIS may: its answer is what the client gets.
                connection.StartDiscarding();
            }

            remaining -= count;
        }
    }

    protected override Task SerializeToStreamAsync(Stream stream, TransportContext? context) =>
        SerializeToStreamAsync(stream, context, CancellationToken.None);

    protected override bool TryComputeLength(out long length)
    {
        length = -1;
        return false;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _inner.Dispose();
        }

        base.Dispose(disposing);
    }
}
