using System.Net;
using System.Net.Sockets;
using ExchangeProxy.Configuration;
using ExchangeProxy.Health;
using ExchangeProxy.Statistics;
using Microsoft.AspNetCore.Connections;

namespace ExchangeProxy.Tcp;

/// <summary>
/// One layer-4 listener: for each client connection, read the PROXY header if the listener expects one and
/// the TLS server name if it routes by it, choose a server (affinity, then balance), connect with retries and
/// redispatch, announce the client with a PROXY header if the pool wants one, then pump bytes both ways until
/// either side is done. One log line per connection, as HAProxy's tcplog.
/// </summary>
public sealed partial class TcpProxyHandler(
    string listener,
    ProxyModelStore models,
    TcpServerSelector selector,
    ServerStatistics statistics,
    HealthStates health,
    IdleSweeper sweeper,
    IHostApplicationLifetime lifetime,
    ILogger<TcpProxyHandler> logger) : ConnectionHandler
{
    private int _atLimit;

    private TimeProvider Time => sweeper.Time;

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        var model = models.Current;
        if (model.TcpServices.FirstOrDefault(t => string.Equals(t.Name, listener, StringComparison.OrdinalIgnoreCase)) is not { } service)
        {
            LogRemoved(logger, listener);
            return;
        }

        var counters = statistics.ForListener(listener);
        var active = Interlocked.Increment(ref counters.Active);
        try
        {
            if (active > service.MaxConnections)
            {
                Interlocked.Increment(ref counters.Refused);
                if (Interlocked.Exchange(ref _atLimit, 1) == 0)
                {
                    LogAtLimit(logger, listener, service.MaxConnections);
                }

                return;
            }

            if (Interlocked.Exchange(ref _atLimit, 0) == 1)
            {
                LogBelowLimit(logger, listener, service.MaxConnections);
            }

            Interlocked.Increment(ref counters.Total);
            await ServeAsync(connection, model, service);
        }
        finally
        {
            Interlocked.Decrement(ref counters.Active);
        }
    }

    private async Task ServeAsync(ConnectionContext connection, ProxyModel model, TcpService service)
    {
        var started = Time.GetTimestamp();
        var client = connection.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        var local = connection.LocalEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        var input = connection.Transport.Input;

        // What comes before the first server byte is the client's to send, within its timeout.
        using var clientTurn = new CancellationTokenSource(service.ClientTimeout, Time);
        using var setup = CancellationTokenSource.CreateLinkedTokenSource(clientTurn.Token, connection.ConnectionClosed, lifetime.ApplicationStopping);
        var pool = service;
        try
        {
            if (service.AcceptProxy)
            {
                if (!service.TrustsProxy(client.Address))
                {
                    Refuse(service, client, TcpTermination.ProxyNotTrusted, "a PROXY header is believed only from AcceptProxyFrom (or TrustedProxies)");
                    return;
                }

                client = await ProxyProtocol.ReadAsync(input, setup.Token) ?? client;
            }

            if (!service.Allows(client.Address))
            {
                Refuse(service, client, TcpTermination.NotAllowed, service.Relay ? "relay listener: not in AllowedClients" : "not in AllowedClients");
                return;
            }

            if (service.Sni.Count > 0)
            {
                var serverName = await TlsClientHello.PeekServerNameAsync(input, setup.Token);
                var poolName = service.PoolFor(serverName);
                pool = model.TcpServices.First(t => string.Equals(t.Name, poolName, StringComparison.OrdinalIgnoreCase));
            }
        }
        catch (InvalidDataException e)
        {
            Refuse(service, client, TcpTermination.ProxyHeaderInvalid, e.Message);
            return;
        }
        catch (OperationCanceledException)
        {
            Refuse(service, client, clientTurn.IsCancellationRequested ? TcpTermination.ClientTimeout : TcpTermination.ClientClosed, "before the first byte");
            return;
        }

        var (server, socket, retries, termination) = await ConnectAsync(pool, client.Address, setup.Token);
        if (server is null || socket is null)
        {
            Refuse(service, client, termination, pool.Name);
            return;
        }

        var connectMs = Time.GetElapsedTime(started).TotalMilliseconds;
        selector.Stick(pool, client.Address, server);
        var counters = statistics.For(ServerStatistics.Tcp, pool.Name, server.Name);
        counters.Start();
        using var session = new TcpSession(connection.Transport, socket, counters, service.ClientTimeout, pool.ServerTimeout, Time)
        {
            Pool = pool.Name,
            Server = server.Name,
        };
        try
        {
            if (pool.SendProxy != ProxyProtocolVersion.None)
            {
                await socket.SendAsync(ProxyProtocol.Header(pool.SendProxy, client, local), SocketFlags.None, lifetime.ApplicationStopping);
            }

            sweeper.Add(session);
            // Not ApplicationStopping: on SIGTERM a session may finish within the grace period; Kestrel aborts
            // what is left when it ends, and the host then reports stopped. (Nor ConnectionClosed, which a
            // client's half-close already fires.)
            await session.RunAsync(lifetime.ApplicationStopped);
        }
        catch (SocketException)
        {
            socket.Dispose();
        }
        finally
        {
            sweeper.Remove(session);
            counters.Finish();
            // From the accept, as HAProxy's Tt and this connection's log line count it.
            counters.Took(started);
        }

        var durationMs = Time.GetElapsedTime(started).TotalMilliseconds;
        if (!service.DontLogNull || session.BytesIn + session.BytesOut > 0 || session.Termination is not (TcpTermination.ClientClosed or TcpTermination.ServerClosed))
        {
            LogConnection(logger, client.Address, client.Port, listener, pool.Name, server.Name, connectMs,
                durationMs, session.BytesIn, session.BytesOut, retries, session.Termination);
        }
    }

    /// <summary>
    /// Connects to the chosen server, retrying up to the pool's Retries; with Redispatch each retry goes to
    /// another usable server while one is left, so a client never meets a dead server while a live one exists.
    /// </summary>
    private async Task<(BackendServer? Server, Socket? Socket, int Retries, TcpTermination Failure)> ConnectAsync(
        TcpService pool, IPAddress client, CancellationToken cancellationToken)
    {
        var tried = new List<BackendServer>();
        var server = await selector.StuckServerAsync(pool, client, cancellationToken) ?? selector.Balance(pool, client, tried);
        if (server is null)
        {
            return (null, null, 0, TcpTermination.NoServer);
        }

        for (var attempt = 0; ; attempt++)
        {
            var (socket, failure) = await TryConnectAsync(pool, server, cancellationToken);
            if (socket is not null)
            {
                return (server, socket, attempt, TcpTermination.ClientClosed);
            }

            Interlocked.Increment(ref statistics.For(ServerStatistics.Tcp, pool.Name, server.Name).ConnectErrors);
            // As at layer 7: out of the pool at once, until a probe passes (not for a connect the client's leaving cut short).
            if (!cancellationToken.IsCancellationRequested && health.MarkPassiveDown(pool.Name, server.Name))
            {
                LogMarkedDown(logger, server.Name, pool.Name, failure);
            }
            if (attempt == pool.Retries || cancellationToken.IsCancellationRequested)
            {
                return (null, null, attempt, TcpTermination.ConnectFailed);
            }

            tried.Add(server);
            if (pool.Redispatch && selector.Balance(pool, client, tried) is { } other)
            {
                Interlocked.Increment(ref statistics.For(ServerStatistics.Tcp, pool.Name, other.Name).Redispatches);
                server = other;
            }

            Interlocked.Increment(ref statistics.For(ServerStatistics.Tcp, pool.Name, server.Name).Retries);
        }
    }

    private async Task<(Socket? Socket, string Failure)> TryConnectAsync(TcpService pool, BackendServer server, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var timeout = new CancellationTokenSource(pool.ConnectTimeout, Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            var address = server.AddressOn(pool.ServerPort);
            await socket.ConnectAsync(address.Host, address.Port, linked.Token);
            return (socket, "");
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            socket.Dispose();
            return (null, e is SocketException socketError ? Probes.Describe(socketError) : "connect timeout");
        }
    }

    private void Refuse(TcpService service, IPEndPoint client, TcpTermination reason, string detail)
    {
        if (reason is not (TcpTermination.ClientClosed or TcpTermination.ClientTimeout))
        {
            Interlocked.Increment(ref statistics.ForListener(listener).Refused);
        }

        LogRefused(logger, client.Address, client.Port, service.Name, reason, detail);
    }

    [LoggerMessage(Level = LogLevel.Information,
        Message = "{ClientIp}:{ClientPort} {Listener} -> {Pool}/{Server} connected in {ConnectMs:0} ms, {DurationMs:0} ms, {BytesIn} B in, {BytesOut} B out, {Retries} retries, {Termination}")]
    private static partial void LogConnection(ILogger logger, IPAddress clientIp, int clientPort, string listener, string pool, string server,
        double connectMs, double durationMs, long bytesIn, long bytesOut, int retries, TcpTermination termination);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Server} is DOWN for {Pool}: a connection could not be made ({Reason}); out until a probe passes")]
    private static partial void LogMarkedDown(ILogger logger, string server, string pool, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{ClientIp}:{ClientPort} {Listener}: {Termination} ({Detail})")]
    private static partial void LogRefused(ILogger logger, IPAddress clientIp, int clientPort, string listener, TcpTermination termination, string detail);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener} reached MaxConnections ({Max}); new connections are closed until it drops below")]
    private static partial void LogAtLimit(ILogger logger, string listener, int max);

    [LoggerMessage(Level = LogLevel.Information, Message = "Listener {Listener} is below MaxConnections ({Max}) again")]
    private static partial void LogBelowLimit(ILogger logger, string listener, int max);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Listener {Listener} was removed from the configuration; its connections are closed until restart")]
    private static partial void LogRemoved(ILogger logger, string listener);
}
