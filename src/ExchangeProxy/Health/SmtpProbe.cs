using System.Net.Sockets;
using System.Text;

namespace ExchangeProxy.Health;

/// <summary>The SMTP check: read the 220 greeting, say EHLO, expect 250 (possibly multi-line), QUIT.</summary>
public static class SmtpProbe
{
    private const string Ehlo = "EHLO exchangeproxy.health\r\n";
    private const string Quit = "QUIT\r\n";

    /// <returns>Null when the server greeted and answered EHLO; otherwise what it said.</returns>
    public static async Task<string?> CheckAsync(string host, int port, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync(host, port, cancellationToken);
        await using var stream = client.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);

        var greeting = await ReadReplyAsync(reader, cancellationToken);
        if (greeting.Code != 220)
        {
            return $"greeting {Describe(greeting)}";
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(Ehlo), cancellationToken);
        var hello = await ReadReplyAsync(reader, cancellationToken);
        if (hello.Code != 250)
        {
            return $"EHLO answered {Describe(hello)}";
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes(Quit), cancellationToken);
        return null;
    }

    private static string Describe((int Code, string Line) reply) => reply.Code == 0 ? "nothing" : reply.Line;

    /// <summary>A reply is lines "250-..." ending with "250 ..."; returns its code (0 when the connection closed).</summary>
    private static async Task<(int Code, string Line)> ReadReplyAsync(StreamReader reader, CancellationToken cancellationToken)
    {
        while (true)
        {
            var line = await reader.ReadLineAsync(cancellationToken);
            if (line is null)
            {
                return (0, "");
            }

            if (line.Length < 3 || !int.TryParse(line.AsSpan(0, 3), out var code))
            {
                return (-1, line);
            }

            if (line.Length == 3 || line[3] != '-')
            {
                return (code, line);
            }
        }
    }
}
