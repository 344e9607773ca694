using System.Collections.Concurrent;

namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>Receives every log event the proxy writes (Serilog forwards to it), with its structured properties.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<LogEntry> _entries = new();

    public IReadOnlyList<LogEntry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture capture, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? pairs.ToDictionary(p => p.Key, p => p.Value)
                : [];
            capture._entries.Enqueue(new LogEntry(logLevel, category, formatter(state, exception), properties));
        }
    }
}

public sealed record LogEntry(LogLevel Level, string Category, string Message, Dictionary<string, object?> Properties);
