namespace ExchangeProxy.Configuration;

public sealed class AdminUserOptions
{
    public string Name { get; set; } = "";

    public string PasswordHash { get; set; } = "";
}
