namespace ExchangeProxy.Http;

/// <summary>
/// An HTTP/1.1 connection to a server, as SocketsHttpHandler reads and writes it after TLS: shows the bytes read to
/// the request waiting on <c>Expect: 100-continue</c> (<see cref="ExpectContinueContent"/>), and, when the server
/// closed after answering such a request, lets its unsent body go nowhere so that the answer still reaches the
/// client. Other requests pass straight through.
/// </summary>
public sealed class ExpectContinueStream(Stream inner) : Stream
{
    private const int Passing = 0, Discarding = 1, Closed = 2;
    private volatile int _state;

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    internal void StartDiscarding() => _state = Discarding;

    /// <summary>A connection whose writes were discarded is not used again.</summary>
    internal void EndDiscarding()
    {
        if (_state == Discarding)
        {
            _state = Closed;
        }
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ExpectContinueContent.Current is { } watching ? ReadWatchedAsync(buffer, watching, cancellationToken) : inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(Span<byte> buffer)
    {
        var read = inner.Read(buffer);
        ExpectContinueContent.Current?.Observe(buffer[..read], this);
        return read;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default) => _state switch
    {
        Passing => inner.WriteAsync(buffer, cancellationToken),
        Discarding => ValueTask.CompletedTask,
        _ => ValueTask.FromException(ClosedByServer()),
    };

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        switch (_state)
        {
            case Passing:
                inner.Write(buffer);
                break;
            case Closed:
                throw ClosedByServer();
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _state == Passing ? inner.FlushAsync(cancellationToken) : Task.CompletedTask;

    public override void Flush()
    {
        if (_state == Passing)
        {
            inner.Flush();
        }
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private async ValueTask<int> ReadWatchedAsync(Memory<byte> buffer, ExpectContinueContent watching, CancellationToken cancellationToken)
    {
        var read = await inner.ReadAsync(buffer, cancellationToken);
        watching.Observe(buffer.Span[..read], this);
        return read;
    }

    private static IOException ClosedByServer() => new("the server closed this connection after answering");
}
