using ExchangeProxy.WindowsAuth;
using Microsoft.Extensions.Primitives;

namespace ExchangeProxy.Tests.WindowsAuth;

public class ConnectionBoundAuthTests
{
    [Theory]
    [InlineData("NTLM")]
    [InlineData("ntlm")]
    [InlineData("Negotiate")]
    [InlineData("NTLM TlRMTVNTUAACAAAADAAMADAAAAA=")]
    [InlineData("negotiate oYG3MIG0oAMKAQGhDAYKKwYBBAGCNwICCqKBngSBm")]
    [InlineData("Basic realm=\"mail.contoso.com\", NTLM")]
    public void Challenges_of_ntlm_and_negotiate_are_connection_bound(string header) =>
        Assert.True(ConnectionBoundAuth.IsChallenge(header));

    [Fact]
    public void A_challenge_among_several_headers_counts() =>
        Assert.True(ConnectionBoundAuth.IsChallenge(new StringValues(["Bearer", "Basic realm=\"x\"", "Negotiate"])));

    [Theory]
    [InlineData("Basic realm=\"mail.contoso.com\"")]
    [InlineData("Bearer authorization_uri=\"https://login.microsoftonline.com/common\"")]
    [InlineData("NTLMv2")]
    [InlineData("")]
    public void Other_challenges_are_not(string header) =>
        Assert.False(ConnectionBoundAuth.IsChallenge(header));

    [Theory]
    [InlineData("NTLM TlRMTVNTUAABAAAAB4IIogAAAAAAAAAAAAAAAAAAAAAKAGFKAAAADw==", true)]
    [InlineData("Negotiate YIIHJgYGKwYBBQUCoIIHGjCCBxagMDAuBgkqhkiC9xIBAgIGCSqGSIb3EgECAg", true)]
    [InlineData("negotiate abc", true)]
    [InlineData("Basic dXNlcjpwYXNz", false)]
    [InlineData("Bearer eyJ0eXAiOiJKV1Qi", false)]
    [InlineData("NTLMish abc", false)]
    public void Credentials_of_ntlm_and_negotiate_are_connection_bound(string header, bool bound) =>
        Assert.Equal(bound, ConnectionBoundAuth.IsCredential(header));

    [Fact]
    public void No_authorization_header_is_no_credential() =>
        Assert.False(ConnectionBoundAuth.IsCredential(StringValues.Empty));
}
