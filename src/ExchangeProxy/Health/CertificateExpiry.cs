using System.Globalization;
using System.Text.Json.Serialization;

namespace ExchangeProxy.Health;

/// <summary>One certificate and the time it has left, as /health, the stats page and the metric report it.</summary>
/// <param name="Kind"><see cref="CertificateExpiries.Listener"/> or <see cref="CertificateExpiries.Server"/>.</param>
/// <param name="Name">The listener's endpoint (<c>Kestrel:Endpoints:&lt;name&gt;</c>), or the CAS server's name.</param>
public sealed record CertificateExpiry(string Kind, string Name, ObservedCertificate Certificate, [property: JsonIgnore] TimeSpan Left)
{
    /// <summary>Whole days left, rounded up ("expires in 10 days" until the last day); 0 or less once expired.</summary>
    public int DaysLeft => (int)Math.Ceiling(Left.TotalDays);

    public bool Expired => Left <= TimeSpan.Zero;

    /// <summary>Expired, or expiring within <see cref="CertificateExpiries.WarningPeriod"/>: time to renew.</summary>
    public bool Due => Left <= CertificateExpiries.WarningPeriod;

    /// <summary>"the listener's certificate CN=mail.contoso.com (Https) expires on 2026-12-12 15:16 UTC, in 10 days".</summary>
    public string Describe()
    {
        var whose = Kind == CertificateExpiries.Listener ? $"the listener's certificate {Certificate.Subject} ({Name})" : $"{Name}'s certificate {Certificate.Subject}";
        var date = Certificate.NotAfter.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        return Expired ? $"{whose} expired on {date}" : $"{whose} expires on {date}, in {DaysLeft} day{(DaysLeft == 1 ? "" : "s")}";
    }
}
