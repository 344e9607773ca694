using System.IO.Pipelines;

namespace ExchangeProxy.Protection;

/// <summary>Hands each byte the client sends to the scanner once, before Kestrel reads it; passes everything through unchanged.</summary>
public sealed class InspectingPipeReader(PipeReader inner, Http1FramingScanner scanner) : PipeReader
{
    private ReadResult _last;
    // How much of the last buffer, from its start, the scanner has seen.
    private long _scanned;

    public override async ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
        Scan(await inner.ReadAsync(cancellationToken));

    public override bool TryRead(out ReadResult result)
    {
        if (!inner.TryRead(out result))
        {
            return false;
        }

        result = Scan(result);
        return true;
    }

    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        _scanned -= _last.Buffer.Slice(_last.Buffer.Start, consumed).Length;
        _last = default;
        inner.AdvanceTo(consumed, examined);
    }

    public override void CancelPendingRead() => inner.CancelPendingRead();

    public override void Complete(Exception? exception = null) => inner.Complete(exception);

    public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

    private ReadResult Scan(ReadResult result)
    {
        var buffer = result.Buffer;
        if (buffer.Length > _scanned)
        {
            scanner.Scan(buffer.Slice(_scanned));
            _scanned = buffer.Length;
        }

        _last = result;
        return result;
    }
}
