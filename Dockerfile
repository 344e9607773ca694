# ExchangeProxy container. Build: docker build -t exchangeproxy .
# Run:   docker run -d -p 443:8443 \
#          -v /srv/exchangeproxy/appsettings.json:/etc/exchangeproxy/appsettings.json:ro \
#          -v /srv/exchangeproxy/certs:/etc/exchangeproxy/certs:ro \
#          -v exchangeproxy-state:/var/lib/exchangeproxy exchangeproxy
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props .editorconfig ./
COPY src/ src/
# The same command tests/ExchangeProxy.Tests/Hosting/PublishedAppTests.cs runs and then starts.
RUN dotnet publish src/ExchangeProxy/ExchangeProxy.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0
WORKDIR /app
COPY --from=build /app .
# THE configuration file; mount your own over it (read-only is fine: the proxy only watches it).
COPY appsettings.json /etc/exchangeproxy/appsettings.json
# Drain/maint states outlive the container in a volume, since the configuration is mounted read-only.
RUN mkdir -p /var/lib/exchangeproxy && chown $APP_UID /var/lib/exchangeproxy
VOLUME /var/lib/exchangeproxy
# A non-root user cannot bind 443, so the HTTPS listener moves to 8443 in the container (publish 443:8443).
# Polling, because inotify does not see edits to a file bind-mounted or projected from a ConfigMap.
ENV EXCHANGEPROXY_CONFIG=/etc/exchangeproxy/appsettings.json \
    ASPNETCORE_ENVIRONMENT=Production \
    Kestrel__Endpoints__Https__Url=https://0.0.0.0:8443 \
    ExchangeProxy__Admin__StateFile=/var/lib/exchangeproxy/state.json \
    DOTNET_USE_POLLING_FILE_WATCHER=true
USER $APP_UID
EXPOSE 8443
HEALTHCHECK --interval=30s --timeout=10s --start-period=20s --retries=3 \
    CMD ["dotnet", "/app/ExchangeProxy.dll", "--probe", "https://127.0.0.1:8443/health/live"]
ENTRYPOINT ["dotnet", "/app/ExchangeProxy.dll"]
