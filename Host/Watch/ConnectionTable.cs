using System.Collections.Concurrent;
using Microsoft.AspNetCore.Connections;

namespace ScenarioEngine.Host.Watch;

/// <summary>
/// The results server's open connections, at most <c>max</c>, and a new one is always admitted:
/// over the limit, the connection idle the longest is closed to make room — one with no request in
/// progress (a client that has not finished sending its headers, or one kept alive between
/// requests), else the oldest of all. With a fixed limit that refuses newcomers (Kestrel's
/// MaxConcurrentConnections), one local client that opens connections and sends its headers slowly,
/// reconnecting as each is dropped, held every place and starved everyone else; here it only
/// evicts its own connections, and a normal request, whose headers arrive at once, is answered.
/// Kestrel's connection middleware (<see cref="Middleware"/>) registers each connection; the request
/// handler marks it busy while it serves a request (<see cref="Serving"/>).
/// </summary>
internal sealed class ConnectionTable(int max)
{
    internal sealed class Entry(ConnectionContext connection, long since)
    {
        public ConnectionContext Connection { get; } = connection;
        public long Since = since;
        public int Busy;
    }

    private readonly ConcurrentDictionary<string, Entry> _open = new(StringComparer.Ordinal);
    private readonly object _evicting = new();
    private long _clock;
    private long _evicted;

    public int Max => max;

    /// <summary>Connections open now.</summary>
    public int Count => _open.Count;

    /// <summary>Connections closed to make room so far.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    public ConnectionDelegate Middleware(ConnectionDelegate next) => async connection =>
    {
        var id = connection.ConnectionId;
        _open[id] = new Entry(connection, Interlocked.Increment(ref _clock));
        try
        {
            if (_open.Count > max) MakeRoom(id);
            await next(connection);
        }
        finally
        {
            _open.TryRemove(id, out _);
        }
    };

    /// <summary>Marks a connection as serving a request until disposed; afterwards it counts as idle from then.</summary>
    public Lease Serving(string connectionId)
    {
        if (!_open.TryGetValue(connectionId, out var e)) return default;
        Interlocked.Increment(ref e.Busy);
        return new Lease(this, e);
    }

    internal readonly struct Lease : IDisposable
    {
        private readonly ConnectionTable? _table;
        private readonly Entry? _entry;

        internal Lease(ConnectionTable table, Entry entry)
        {
            _table = table;
            _entry = entry;
        }

        public void Dispose()
        {
            if (_entry is null || _table is null) return;
            Volatile.Write(ref _entry.Since, Interlocked.Increment(ref _table._clock));
            Interlocked.Decrement(ref _entry.Busy);
        }
    }

    private void MakeRoom(string newcomer)
    {
        lock (_evicting)
        {
            while (_open.Count > max)
            {
                KeyValuePair<string, Entry>? idle = null, any = null;
                foreach (var pair in _open)
                {
                    if (pair.Key == newcomer) continue;
                    var since = Volatile.Read(ref pair.Value.Since);
                    if (any is null || since < any.Value.Value.Since) any = pair;
                    if (Volatile.Read(ref pair.Value.Busy) == 0 && (idle is null || since < idle.Value.Value.Since)) idle = pair;
                }
                if ((idle ?? any) is not { } victim) return;
                if (!_open.TryRemove(victim.Key, out _)) continue;
                Interlocked.Increment(ref _evicted);
                victim.Value.Connection.Abort(new ConnectionAbortedException("closed to make room for a new connection (the server keeps at most " + max + " open)"));
            }
        }
    }
}
