using System.Buffers.Binary;
using System.Text;

namespace ExchangeProxy.Http;

/// <summary>
/// The account an NTLM AUTHENTICATE message ([MS-NLMP] 2.2.1.3, "Type 3") signs in as, also inside SPNEGO
/// (Negotiate): <c>DOMAIN\user</c>. Only the domain and user fields are read, never the responses.
/// </summary>
public static class NtlmAuthenticateMessage
{
    private const int HeaderLength = 64;
    private const uint NegotiateUnicode = 0x1;

    public static string? ReadAccount(ReadOnlySpan<byte> token)
    {
        var start = token.IndexOf("NTLMSSP\0"u8);
        if (start < 0)
        {
            return null;
        }

        var message = token[start..];
        if (message.Length < HeaderLength || BinaryPrimitives.ReadUInt32LittleEndian(message[8..]) != 3)
        {
            return null;
        }

        var unicode = (BinaryPrimitives.ReadUInt32LittleEndian(message[60..]) & NegotiateUnicode) != 0;
        var user = Field(message, 36, unicode);
        if (string.IsNullOrEmpty(user))
        {
            // Anonymous.
            return null;
        }

        var domain = Field(message, 28, unicode);
        return string.IsNullOrEmpty(domain) ? user : domain + "\\" + user;
    }

    private static string? Field(ReadOnlySpan<byte> message, int at, bool unicode)
    {
        var length = BinaryPrimitives.ReadUInt16LittleEndian(message[at..]);
        var offset = BinaryPrimitives.ReadUInt32LittleEndian(message[(at + 4)..]);
        if (offset > (uint)message.Length || length > message.Length - (int)offset)
        {
            return null;
        }

        var bytes = message.Slice((int)offset, length);
        return unicode ? Encoding.Unicode.GetString(bytes) : Encoding.ASCII.GetString(bytes);
    }
}
