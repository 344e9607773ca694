namespace ExchangeProxy.Balancing;

/// <summary>Whether Redis answers, as one user of it last saw: each outage and each recovery is reported once.</summary>
public sealed class RedisOutage(Action<string> wentDown, Action cameBack)
{
    private int _down;

    public bool IsDown => Volatile.Read(ref _down) == 1;

    public void Down(string reason)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            wentDown(reason);
        }
    }

    public void Up()
    {
        if (Interlocked.Exchange(ref _down, 0) == 1)
        {
            cameBack();
        }
    }
}
