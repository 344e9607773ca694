using ExchangeProxy.Configuration;

namespace ExchangeProxy.Balancing;

/// <summary>
/// HAProxy's <c>stick-table type ip</c>: which server each client was sent to. Bounded to
/// <see cref="StickTableSettings.Size"/> entries; an entry expires <see cref="StickTableSettings.Expire"/> after its
/// last use (every lookup and store touches it); when full, the least recently used entry goes. The entries
/// live in one array chained in use order, so lookups and updates are O(1), allocate nothing once the array
/// has grown, and expired entries are always at the cold end, where they are dropped as the table is used.
/// One lock guards it: the work under it is a hash lookup and a few index writes. No HTTP here: both
/// layers use it.
/// </summary>
public sealed class StickTable
{
    private const int None = -1;
    private const int InitialCapacity = 1024;

    private readonly Lock _lock = new();
    private readonly TimeProvider _time;
    private readonly long _expireTicks;
    private readonly long _announceTicks;
    private readonly Dictionary<ClientKey, int> _index = [];
    private Entry[] _entries;
    private int _used;
    private int _free = None;
    private int _hot = None;
    private int _cold = None;
    private long _hits;
    private long _misses;
    private long _redispatches;
    private long _evictions;
    private long _expirations;

    public StickTable(StickTableSettings settings, TimeProvider time)
    {
        Settings = settings;
        _time = time;
        _expireTicks = (long)(settings.Expire.TotalSeconds * time.TimestampFrequency);
        _announceTicks = _expireTicks / 2;
        _entries = new Entry[Math.Min(settings.Size, InitialCapacity)];
    }

    public StickTableSettings Settings { get; }

    public string Name => Settings.Name;

    public ClientKey KeyOf(System.Net.IPAddress client) => ClientKey.From(client, Settings.IPv4Prefix, Settings.IPv6Prefix);

    /// <summary>Entries that have not expired.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                DropExpired(_time.GetTimestamp());
                return _index.Count;
            }
        }
    }

    public StickTableCounters Counters => new(
        Interlocked.Read(ref _hits), Interlocked.Read(ref _misses), Interlocked.Read(ref _redispatches),
        Interlocked.Read(ref _evictions), Interlocked.Read(ref _expirations));

    /// <summary>The server the client sticks to, touching the entry; counts a hit or a miss.</summary>
    public bool TryGet(ClientKey key, out string server)
    {
        lock (_lock)
        {
            if (Touch(key, _time.GetTimestamp()) is { } slot)
            {
                server = _entries[slot].Server;
                _hits++;
                return true;
            }

            _misses++;
            server = "";
            return false;
        }
    }

    /// <summary>
    /// Sticks the client to <paramref name="server"/> (new entry, a move, or a touch). Returns whether other
    /// proxy instances should hear of it: the entry is new or moved, or was last announced half an expiry ago.
    /// </summary>
    public bool Stick(ClientKey key, string server) => Stick(key, server, announced: false);

    /// <summary>Stores an entry another instance announced; it is not announced again until it changes or ages.</summary>
    public void Learn(ClientKey key, string server) => Stick(key, server, announced: true);

    /// <summary>The live entries, most recently used first.</summary>
    public List<StickEntry> Snapshot()
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            DropExpired(now);
            var entries = new List<StickEntry>(_index.Count);
            for (var slot = _hot; slot != None; slot = _entries[slot].Older)
            {
                var left = _expireTicks - (now - _entries[slot].LastUsed);
                entries.Add(new StickEntry(_entries[slot].Key, _entries[slot].Server, TimeSpan.FromSeconds((double)left / _time.TimestampFrequency)));
            }

            return entries;
        }
    }

    /// <summary>
    /// Forgets the entries that match: the client's (<paramref name="key"/>), those of <paramref name="server"/>, or
    /// all when neither is given (HAProxy's <c>clear table</c>). Returns what was forgotten.
    /// </summary>
    public List<StickEntry> Clear(ClientKey? key, string? server)
    {
        var cleared = new List<StickEntry>();
        lock (_lock)
        {
            DropExpired(_time.GetTimestamp());
            for (var slot = _hot; slot != None;)
            {
                var entry = _entries[slot];
                var older = entry.Older;
                if ((key is null || entry.Key == key) && (server is null || string.Equals(entry.Server, server, StringComparison.OrdinalIgnoreCase)))
                {
                    cleared.Add(new StickEntry(entry.Key, entry.Server, TimeSpan.Zero));
                    Remove(slot);
                }

                slot = older;
            }
        }

        return cleared;
    }

    /// <summary>The stuck server was down or out: the client is being sent elsewhere.</summary>
    public void CountRedispatch() => Interlocked.Increment(ref _redispatches);

    private bool Stick(ClientKey key, string server, bool announced)
    {
        lock (_lock)
        {
            var now = _time.GetTimestamp();
            if (Touch(key, now) is { } touched)
            {
                ref var entry = ref _entries[touched];
                var announce = !announced && (!string.Equals(entry.Server, server, StringComparison.Ordinal) || now - entry.Announced >= _announceTicks);
                entry.Server = server;
                if (announce || announced)
                {
                    entry.Announced = now;
                }

                return announce;
            }

            if (_index.Count == Settings.Size)
            {
                Remove(_cold);
                _evictions++;
            }

            var slot = Allocate();
            _entries[slot] = new Entry { Key = key, Server = server, LastUsed = now, Announced = now, Newer = None, Older = None };
            _index[key] = slot;
            LinkHot(slot);
            return !announced;
        }
    }

    /// <summary>Drops what expired, then marks the client's entry used now; its slot, or null when it has none.</summary>
    private int? Touch(ClientKey key, long now)
    {
        DropExpired(now);
        if (!_index.TryGetValue(key, out var slot))
        {
            return null;
        }

        _entries[slot].LastUsed = now;
        MoveToHot(slot);
        return slot;
    }

    private void DropExpired(long now)
    {
        while (_cold != None && now - _entries[_cold].LastUsed >= _expireTicks)
        {
            Remove(_cold);
            _expirations++;
        }
    }

    private int Allocate()
    {
        if (_free != None)
        {
            var slot = _free;
            _free = _entries[slot].Older;
            return slot;
        }

        if (_used == _entries.Length)
        {
            Array.Resize(ref _entries, (int)Math.Min((long)_entries.Length * 2, Settings.Size));
        }

        return _used++;
    }

    private void Remove(int slot)
    {
        Unlink(slot);
        _index.Remove(_entries[slot].Key);
        _entries[slot] = new Entry { Older = _free, Newer = None };
        _free = slot;
    }

    private void MoveToHot(int slot)
    {
        if (slot != _hot)
        {
            Unlink(slot);
            LinkHot(slot);
        }
    }

    private void LinkHot(int slot)
    {
        _entries[slot].Older = _hot;
        _entries[slot].Newer = None;
        if (_hot != None)
        {
            _entries[_hot].Newer = slot;
        }

        _hot = slot;
        if (_cold == None)
        {
            _cold = slot;
        }
    }

    private void Unlink(int slot)
    {
        var (newer, older) = (_entries[slot].Newer, _entries[slot].Older);
        if (newer != None)
        {
            _entries[newer].Older = older;
        }
        else
        {
            _hot = older;
        }

        if (older != None)
        {
            _entries[older].Newer = newer;
        }
        else
        {
            _cold = newer;
        }
    }

    private struct Entry
    {
        public ClientKey Key;
        public string Server;
        public long LastUsed;
        public long Announced;
        public int Newer;
        public int Older;
    }
}
