namespace ExchangeProxy.Import;

/// <summary>A <c>user</c> of a userlist: a clear password (<c>insecure-password</c>) can be hashed; a crypt(3) one cannot be read.</summary>
public sealed record HaproxyUser(string Name, string? ClearPassword, HaproxyLine Line);
