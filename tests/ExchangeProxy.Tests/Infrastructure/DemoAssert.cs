namespace ExchangeProxy.Tests.Infrastructure;

/// <summary>What a newcomer sees in the demo: curl through the proxy twice, and each fake server answers once.</summary>
public static class DemoAssert
{
    public static async Task BothServersAnswerAsync(string proxyUrl)
    {
        var answers = new List<string>();
        for (var i = 0; i < 2; i++)
        {
            await using var curl = ProxyProcess.Start("curl", ["-sk", $"{proxyUrl}/owa/"]);
            Assert.Equal(0, await curl.ExitCodeAsync(TimeSpan.FromSeconds(30)));
            answers.Add(curl.Stdout);
        }

        Assert.Contains(answers, a => a.StartsWith("exchange1 answered GET /owa/", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.StartsWith("exchange2 answered GET /owa/", StringComparison.Ordinal));
    }
}
