using System.IO.Pipelines;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace ExchangeProxy.Protection;

/// <summary>
/// A client connection whose HTTP/1.1 bytes (decrypted, on a TLS listener) pass an <see cref="Http1FramingScanner"/>
/// on their way to Kestrel. Kestrel adds TLS after every middleware an endpoint default can add, so this wraps the
/// connection before TLS and takes the transport TLS puts in place: what Kestrel's HTTP layer reads next is the
/// scanned one. HTTP/2 (ALPN h2, or a plain listener of HTTP/2 only) and layer-4 listeners pass untouched.
/// </summary>
public sealed class InspectedConnection(ConnectionContext inner, InspectedConnection.Listener listener) : ConnectionContext
{
    private IDuplexPipe? _decrypted;
    private IDuplexPipe? _inspected;
    private bool _exempt;

    /// <summary>On every listener (endpoint defaults).</summary>
    public static void Install(ListenOptions listen)
    {
        var listener = new Listener(listen);
        listen.Use(next => connection => next(new InspectedConnection(connection, listener)));
    }

    /// <summary>For a listener that carries no HTTP (layer 4): its bytes are not read as requests.</summary>
    public static void Exempt(ListenOptions listen) =>
        listen.Use(next => connection =>
        {
            if (connection is InspectedConnection inspected)
            {
                inspected._exempt = true;
            }

            return next(connection);
        });

    public override IDuplexPipe Transport
    {
        get
        {
            if (_inspected is not null)
            {
                return _inspected;
            }

            // Before TLS is in place, TLS itself is reading the socket: not HTTP yet.
            if (_exempt || (_decrypted is null && listener.IsTls))
            {
                return inner.Transport;
            }

            var transport = _decrypted ?? inner.Transport;
            var h2 = _decrypted is null
                ? listener.Http2Only
                : inner.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol.Span.SequenceEqual("h2"u8) == true;
            if (h2)
            {
                return _inspected = transport;
            }

            var verdicts = new HeadVerdicts();
            inner.Features.Set(verdicts);
            return _inspected = new Pipe(new InspectingPipeReader(transport.Input, new Http1FramingScanner(verdicts)), transport.Output);
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

    /// <summary>What a connection needs to know of its listener, read once Kestrel has bound it (TLS is added at binding).</summary>
    public sealed class Listener(ListenOptions listen)
    {
        private readonly Lazy<bool> _tls = new(() => listen.ToString()?.StartsWith("https:", StringComparison.OrdinalIgnoreCase) == true);

        public bool IsTls => _tls.Value;

        public bool Http2Only => listen.Protocols == HttpProtocols.Http2;
    }

    private sealed class Pipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
