using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace ExchangeProxy.Protection;

/// <summary>
/// A client connection whose decrypted HTTP/1.1 bytes pass an <see cref="Http1FramingScanner"/> on their way to
/// Kestrel. Kestrel adds TLS after every middleware an endpoint default can add, so this wraps the connection
/// before TLS and takes the transport TLS puts in place: what Kestrel's HTTP layer reads next is the scanned one.
/// HTTP/2 (ALPN h2) and plain connections pass untouched.
/// </summary>
public sealed class InspectedConnection(ConnectionContext inner) : ConnectionContext
{
    private IDuplexPipe? _decrypted;
    private IDuplexPipe? _inspected;

    /// <summary>On every listener (endpoint defaults): only TLS connections speaking HTTP/1.1 are scanned.</summary>
    public static void Install(ListenOptions listen) => listen.Use(next => connection => next(new InspectedConnection(connection)));

    public override IDuplexPipe Transport
    {
        get
        {
            if (_decrypted is null)
            {
                return inner.Transport;
            }

            if (_inspected is null)
            {
                if (inner.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true)
                {
                    return _inspected = _decrypted;
                }

                var verdicts = new HeadVerdicts();
                inner.Features.Set(verdicts);
                _inspected = new Pipe(new InspectingPipeReader(_decrypted.Input, new Http1FramingScanner(verdicts)), _decrypted.Output);
            }

            return _inspected;
        }

        set
        {
            // TLS replaces the socket's transport with the decrypted one.
            _decrypted = value;
            _inspected = null;
            inner.Transport = value;
        }
    }

    public override string ConnectionId
    {
        get => inner.ConnectionId;
        set => inner.ConnectionId = value;
    }

    public override IFeatureCollection Features => inner.Features;

    public override IDictionary<object, object?> Items
    {
        get => inner.Items;
        set => inner.Items = value;
    }

    public override CancellationToken ConnectionClosed
    {
        get => inner.ConnectionClosed;
        set => inner.ConnectionClosed = value;
    }

    public override EndPoint? LocalEndPoint
    {
        get => inner.LocalEndPoint;
        set => inner.LocalEndPoint = value;
    }

    public override EndPoint? RemoteEndPoint
    {
        get => inner.RemoteEndPoint;
        set => inner.RemoteEndPoint = value;
    }

    public override void Abort(ConnectionAbortedException abortReason) => inner.Abort(abortReason);

    public override void Abort() => inner.Abort();

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
