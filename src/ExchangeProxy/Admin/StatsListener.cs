namespace ExchangeProxy.Admin;

public sealed record StatsListener(long Current, long Total, long Refused);
