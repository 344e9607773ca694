namespace ExchangeProxy.Health;

public enum ServiceCondition
{
    Healthy,
    Degraded,
    Unhealthy,
}
