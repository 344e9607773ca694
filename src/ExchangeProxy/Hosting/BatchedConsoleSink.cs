using System.Text;
using Serilog.Configuration;
using Serilog.Core;
using Serilog.Events;
using Serilog.Formatting;

namespace ExchangeProxy.Hosting;

/// <summary>
/// Standard output written a batch at a time by Serilog's batching sink, off the request path: a request pays
/// for queueing its log line, not for formatting it, taking the console's lock and a write system call,
/// which were the largest cost the proxy added to a request (README, Performance).
/// </summary>
public sealed class BatchedConsoleSink : IBatchedLogEventSink, IDisposable
{
    /// <summary>
    /// Lines reach the console within a tenth of a second. If standard output stalls (a blocked log shipper),
    /// up to 100,000 lines wait; beyond that new lines are dropped rather than holding up traffic, as
    /// HAProxy does with syslog.
    /// </summary>
    public static readonly BatchingOptions Batching = new()
    {
        BatchSizeLimit = 1000,
        BufferingTimeLimit = TimeSpan.FromMilliseconds(100),
        EagerlyEmitFirstEvent = true,
        QueueLimit = 100_000,
    };

    private readonly ITextFormatter _formatter;
    private readonly StreamWriter _output;

    public BatchedConsoleSink(ITextFormatter formatter, Stream output)
    {
        _formatter = formatter;
        // One writer owned by the batching loop, which never runs two batches at once: no lock needed.
        _output = new StreamWriter(output, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false), bufferSize: 64 * 1024, leaveOpen: true);
    }

    public async Task EmitBatchAsync(IReadOnlyCollection<LogEvent> batch)
    {
        foreach (var logEvent in batch)
        {
            _formatter.Format(logEvent, _output);
        }

        await _output.FlushAsync();
    }

    public void Dispose() => _output.Dispose();
}
