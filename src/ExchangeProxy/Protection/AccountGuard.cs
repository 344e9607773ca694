using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using ExchangeProxy.Configuration;
using ExchangeProxy.Hosting;
using ExchangeProxy.Http;

namespace ExchangeProxy.Protection;

/// <summary>
/// Counts failed sign-ins per user, per ActiveSync device and per client address in a sliding window, and says
/// which are locked out: a user after <see cref="AccountProtectionSettings.MaxFailures"/> failures (below Active
/// Directory's threshold, so the proxy refuses before AD locks the account), a device after as many (its owner's
/// other devices carry on), an address after <see cref="AccountProtectionSettings.MaxFailuresPerAddress"/>
/// (spraying many users). Clients in the trusted networks are never refused and their failures do not count.
/// A success resets the user's (or device's) count. Bounded: at most <see cref="MaxTracked"/> entries, and those
/// with nothing left to remember are dropped each minute.
/// </summary>
public sealed partial class AccountGuard : IDisposable
{
    public const int MaxTracked = 100_000;
    private const int MaxNamesKept = 8;

    private readonly ConcurrentDictionary<(AccountKind Kind, string Name), Track> _tracks = new(KeyComparer.Instance);
    private readonly TimeProvider _time;
    private readonly ILogger<AccountGuard> _logger;
    private readonly ITimer _sweep;
    private long _failures;
    private long _lockouts;

    public AccountGuard(TimeProvider time, IMeterFactory meters, ILogger<AccountGuard> logger)
    {
        _time = time;
        _logger = logger;
        _sweep = time.CreateTimer(static state => ((AccountGuard)state!).Sweep(), this, TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1));
        var meter = meters.Create(ProxyMetrics.MeterName);
        meter.CreateObservableCounter("account_protection.failures", () => Interlocked.Read(ref _failures), unit: "{sign-in}",
            description: "Failed sign-ins counted by account protection (outside the trusted networks)");
        meter.CreateObservableCounter("account_protection.lockouts", () => Interlocked.Read(ref _lockouts), unit: "{lockout}",
            description: "Users, devices and addresses locked out by account protection");
        meter.CreateObservableUpDownCounter("account_protection.locked", () => Locked().Select(g => new Measurement<int>(g.Count(), new KeyValuePair<string, object?>("kind", g.Key.ToString().ToLowerInvariant()))),
            unit: "{account}", description: "Users, devices and addresses locked out now, by kind");
    }

    /// <summary>Raised after a failure is counted here, with the limit that applies to that name (the shared count's too).</summary>
    public event Action<AccountKind, string, int, AccountProtectionSettings>? Counted;

    /// <summary>Raised when a lockout starts here: from this instance's count, or from the shared one.</summary>
    public event Action<AccountKind, string, DateTimeOffset>? LockedOutHere;

    /// <summary>Raised when a name's failures are forgiven here (a success, or the operator's unlock).</summary>
    public event Action<AccountKind, string>? Forgiven;

    /// <summary>The lockout that refuses this sign-in, or null when it may go on to the server.</summary>
    public AccountStatus? Check(AccountProtectionSettings settings, SignIn who, IPAddress client)
    {
        if (!settings.Enabled || settings.IsTrusted(client))
        {
            return null;
        }

        var now = _time.GetUtcNow();
        return LockedOut(AccountKind.Address, client.ToString(), now)
            ?? (who.DeviceId is { } device ? LockedOut(AccountKind.Device, device, now) : null)
            ?? (who.User is { } user ? LockedOut(AccountKind.User, user, now) : null);
    }

    /// <summary>
    /// A sign-in failed. An ActiveSync device's failure counts for the device, not its user; every failure
    /// counts for the address.
    /// </summary>
    public void Failed(AccountProtectionSettings settings, SignIn who, IPAddress client)
    {
        if (!settings.Enabled || settings.IsTrusted(client))
        {
            return;
        }

        Interlocked.Increment(ref _failures);
        var address = client.ToString();
        Count(settings, AccountKind.Address, address, settings.MaxFailuresPerAddress, address, who.User);
        if (who.DeviceId is { } device)
        {
            Count(settings, AccountKind.Device, device, settings.MaxFailures, address, who.User);
        }
        else if (who.User is { } user)
        {
            Count(settings, AccountKind.User, user, settings.MaxFailures, address, null);
        }
    }

    /// <summary>A sign-in succeeded: the user's (or device's) failures are forgiven.</summary>
    public void Succeeded(SignIn who)
    {
        if (who.DeviceId is { } device)
        {
            _tracks.TryRemove((AccountKind.Device, device), out _);
            Forgiven?.Invoke(AccountKind.Device, device);
        }

        if (who.User is { } user)
        {
            _tracks.TryRemove((AccountKind.User, user), out _);
            Forgiven?.Invoke(AccountKind.User, user);
        }
    }

    /// <summary>
    /// Locks a name out until <paramref name="until"/> because all instances together counted enough failures, or
    /// another instance locked it; returns whether that started a lockout here.
    /// </summary>
    public bool LockOut(AccountKind kind, string name, DateTimeOffset until, int failures, TimeSpan window, bool fromElsewhere)
    {
        var track = _tracks.GetOrAdd((kind, name), static _ => new Track());
        if (!track.LockUntil(_time.GetUtcNow(), until, window))
        {
            return false;
        }

        Interlocked.Increment(ref _lockouts);
        LogLockedOutTogether(_logger, kind, name, failures, window, until, fromElsewhere ? "another instance" : "every instance together");
        if (!fromElsewhere)
        {
            LockedOutHere?.Invoke(kind, name, until);
        }

        return true;
    }

    /// <summary>Lifts a lockout another instance lifted; returns whether there was one here.</summary>
    public bool Release(AccountKind kind, string name)
    {
        if (!_tracks.TryRemove((kind, name), out _))
        {
            return false;
        }

        LogReleased(_logger, kind, name);
        return true;
    }

    /// <summary>Everything counted now, locked first, then by most failures.</summary>
    public IReadOnlyList<AccountStatus> List()
    {
        var now = _time.GetUtcNow();
        return [.. _tracks.Select(t => t.Value.Status(t.Key.Kind, t.Key.Name, now)).Where(s => s is not null).Select(s => s!)
            .OrderByDescending(s => s.LockedUntil is not null).ThenByDescending(s => s.Failures).ThenBy(s => s.Name, StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>Forgets a user's, device's or address's failures and lockout; returns whether there were any.</summary>
    public bool Unlock(AccountKind kind, string name)
    {
        if (!_tracks.TryRemove((kind, name), out _))
        {
            return false;
        }

        LogUnlocked(_logger, kind, name);
        Forgiven?.Invoke(kind, name);
        return true;
    }

    public void Dispose() => _sweep.Dispose();

    private IEnumerable<IGrouping<AccountKind, AccountStatus>> Locked() => List().Where(s => s.LockedUntil is not null).GroupBy(s => s.Kind);

    private AccountStatus? LockedOut(AccountKind kind, string name, DateTimeOffset now) =>
        _tracks.TryGetValue((kind, name), out var track) && track.Status(kind, name, now) is { LockedUntil: not null } status ? status : null;

    private void Count(AccountProtectionSettings settings, AccountKind kind, string name, int limit, string address, string? user)
    {
        if (!_tracks.TryGetValue((kind, name), out var track))
        {
            // Past the bound (a flood of made-up names), new names are not remembered; their addresses still are.
            if (_tracks.Count >= MaxTracked && kind != AccountKind.Address)
            {
                return;
            }

            track = _tracks.GetOrAdd((kind, name), static _ => new Track());
        }

        if (track.Fail(_time.GetUtcNow(), settings, limit, address, user) is { } locked)
        {
            Interlocked.Increment(ref _lockouts);
            LogLockedOut(_logger, kind, name, locked.Failures, settings.Window, locked.Until, address);
            LockedOutHere?.Invoke(kind, name, locked.Until);
        }

        Counted?.Invoke(kind, name, limit, settings);
    }

    private void Sweep()
    {
        var now = _time.GetUtcNow();
        foreach (var (key, track) in _tracks)
        {
            if (track.Status(key.Kind, key.Name, now) is null)
            {
                _tracks.TryRemove(new KeyValuePair<(AccountKind, string), Track>(key, track));
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account protection: {Kind} {Name} locked out after {Failures} failed sign-ins within {Window}, until {Until} (last from {ClientIp})")]
    private static partial void LogLockedOut(ILogger logger, AccountKind kind, string name, int failures, TimeSpan window, DateTimeOffset until, string clientIp);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account protection: {Kind} {Name} locked out after {Failures} failed sign-ins within {Window} counted by {Counter}, until {Until}")]
    private static partial void LogLockedOutTogether(ILogger logger, AccountKind kind, string name, int failures, TimeSpan window, DateTimeOffset until, string counter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account protection: {Kind} {Name} unlocked on another instance")]
    private static partial void LogReleased(ILogger logger, AccountKind kind, string name);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Account protection: {Kind} {Name} unlocked by the operator")]
    private static partial void LogUnlocked(ILogger logger, AccountKind kind, string name);

    /// <summary>The failures of one name within the window, and its lockout.</summary>
    private sealed class Track
    {
        private readonly Lock _lock = new();
        private readonly Queue<DateTimeOffset> _failures = new();
        private readonly List<string> _addresses = [];
        private readonly List<string> _users = [];
        private TimeSpan _window;
        private DateTimeOffset? _lockedUntil;
        private DateTimeOffset _lastFailure;

        /// <summary>Counts a failure; returns the lockout it starts, if it starts one.</summary>
        public (int Failures, DateTimeOffset Until)? Fail(DateTimeOffset now, AccountProtectionSettings settings, int limit, string address, string? user)
        {
            lock (_lock)
            {
                _window = settings.Window;
                Expire(now);
                _lastFailure = now;
                Remember(_addresses, address);
                if (user is not null)
                {
                    Remember(_users, user);
                }

                if (_lockedUntil is not null)
                {
                    return null;
                }

                _failures.Enqueue(now);
                if (_failures.Count < limit)
                {
                    return null;
                }

                _lockedUntil = now + settings.LockoutDuration;
                return (_failures.Count, _lockedUntil.Value);
            }
        }

        /// <summary>Locked until <paramref name="until"/> unless already locked as long; returns whether a lockout started.</summary>
        public bool LockUntil(DateTimeOffset now, DateTimeOffset until, TimeSpan window)
        {
            lock (_lock)
            {
                _window = window;
                Expire(now);
                var started = _lockedUntil is null;
                if (until > now && (_lockedUntil is null || until > _lockedUntil))
                {
                    _lockedUntil = until;
                }

                return started && _lockedUntil is not null;
            }
        }

        /// <summary>What is left to show; null when nothing is (no failure in the window, no lockout).</summary>
        public AccountStatus? Status(AccountKind kind, string name, DateTimeOffset now)
        {
            lock (_lock)
            {
                Expire(now);
                return _failures.Count == 0 && _lockedUntil is null
                    ? null
                    : new AccountStatus(kind, name, _failures.Count, _lockedUntil, _lastFailure, [.. _addresses], [.. _users]);
            }
        }

        private void Expire(DateTimeOffset now)
        {
            if (_lockedUntil <= now)
            {
                // A lockout that ran out starts a clean count.
                _lockedUntil = null;
                _failures.Clear();
            }

            while (_failures.TryPeek(out var oldest) && now - oldest >= _window)
            {
                _failures.Dequeue();
            }
        }

        private static void Remember(List<string> names, string name)
        {
            if (names.Count < MaxNamesKept && !names.Contains(name, StringComparer.OrdinalIgnoreCase))
            {
                names.Add(name);
            }
        }
    }

    /// <summary>User names and device ids compare as Windows does, without case.</summary>
    private sealed class KeyComparer : IEqualityComparer<(AccountKind Kind, string Name)>
    {
        public static readonly KeyComparer Instance = new();

        public bool Equals((AccountKind Kind, string Name) x, (AccountKind Kind, string Name) y) =>
            x.Kind == y.Kind && string.Equals(x.Name, y.Name, StringComparison.OrdinalIgnoreCase);

        public int GetHashCode((AccountKind Kind, string Name) key) =>
            HashCode.Combine(key.Kind, StringComparer.OrdinalIgnoreCase.GetHashCode(key.Name));
    }
}
