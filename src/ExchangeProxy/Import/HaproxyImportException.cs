namespace ExchangeProxy.Import;

/// <summary>HAProxy input the importer cannot read at all: the message names the line, and nothing is written.</summary>
public sealed class HaproxyImportException(int line, string message) : Exception(message)
{
    public int Line { get; } = line;
}
