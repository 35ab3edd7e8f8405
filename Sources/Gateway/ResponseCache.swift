import Crypto
public import Foundation
import DequeModule
public import Providers
public import Store
import Synchronization

/// Exact-match answers for identical requests: an LRU in memory in front of the `cache_entries`
/// table, with a time to live.
///
/// The key is a hash of everything that shapes an answer — model, every message (system prompt,
/// persona and facts included), answer limit and temperature — so one conversation's answer never
/// reaches another unless the whole request is identical. Only complete answers are stored.
public final class ResponseCache: Sendable {
    private struct State {
        /// The entries in memory, each with the stamp of its last use.
        var entries: [DigestKey: (entry: CachedResponse, used: UInt64)] = [:]
        /// Keys by last use, oldest first; a key used again is appended anew and its older
        /// places go stale (their stamp no longer matches), so a use costs O(1), not a search.
        var order: Deque<(key: DigestKey, used: UInt64)> = []
        var clock: UInt64 = 0
        /// Keys the table holds unexpired (read at start, plus every save), with when each
        /// expires: the table finds an entry by both, and a miss on a key outside it needs no
        /// database read. Entries another process adds appear after a restart.
        var storedKeys: [DigestKey: Date] = [:]
        /// The same keys by expiry, soonest first (a key saved again appears again, later), so
        /// expired keys leave `storedKeys` as time passes: it holds one TTL's worth of saves.
        var expiries: Deque<(key: DigestKey, expiresAt: Date)> = []
    }

    /// Unexpired keys tracked in memory at most (one TTL's worth of distinct questions); beyond
    /// it the soonest to expire are forgotten early, and their answers asked for anew.
    static let storedKeysCap = 200_000
    private let keysCap: Int

    /// Entries kept in memory; the table holds the rest until they expire.
    public static let memoryCapacity = 1_000

    private let store: SQLiteStore?
    private let writer: WriteBehindQueue?
    private let ttl: TimeInterval
    private let state = Mutex(State())
    private let clock: @Sendable () -> Date

    /// A cache with time to live `ttl` seconds over `store` (memory only when `nil`).
    /// With a `writer`, new entries and hit counts are written behind the request.
    public convenience init(store: SQLiteStore?, ttl: TimeInterval, writer: WriteBehindQueue? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.init(store: store, ttl: ttl, writer: writer, clock: clock, keysCap: Self.storedKeysCap)
    }

    /// `keysCap`: unexpired keys tracked at most (``storedKeysCap`` but in tests).
    init(store: SQLiteStore?, ttl: TimeInterval, writer: WriteBehindQueue?, clock: @escaping @Sendable () -> Date, keysCap: Int) {
        self.store = store
        self.keysCap = keysCap
        self.writer = writer
        self.ttl = ttl
        self.clock = clock
        // Unreadable (a busy database): the cache starts cold and fills again, nothing is lost.
        let keys = (try? store?.cachedKeys(now: clock())) ?? []
        state.withLock { state in
            for (key, expiresAt) in keys { _ = Self.track(DigestKey(key), expiresAt: expiresAt, cap: keysCap, in: &state) }
        }
    }

    /// A request's key: its SHA-256 digest, as the 64 hex characters the table stores and as
    /// the 256 bits the cache's maps hold.
    public struct Key: Sendable, Hashable {
        /// The digest in lower-case hex.
        public let text: String
        let digest: DigestKey

        /// The key spelled `text` (a stored key; tests name theirs freely).
        public init(_ text: String) {
            self.text = text
            digest = DigestKey(text)
        }

        init(text: String, digest: DigestKey) {
            self.text = text
            self.digest = digest
        }
    }

    /// The cache key of a request to `model`.
    public static func key(model: String, request: ChatRequest) -> Key {
        // Length-prefixed fields ("<UTF-8 byte count>:<bytes>"), so no two different requests can
        // concatenate to the same bytes, gathered into one buffer and hashed at once.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        func decimal(_ value: Int) {
            if value >= 10 { decimal(value / 10) }
            bytes.append(UInt8(ascii: "0") + UInt8(value % 10))
        }
        func field(_ text: String) {
            var text = text
            text.withUTF8 { utf8 in
                decimal(utf8.count)
                bytes.append(UInt8(ascii: ":"))
                bytes.append(contentsOf: utf8)
            }
        }
        field("v1")
        field(model)
        field(String(request.maxOutputTokens))
        field(request.temperature.map { String($0) } ?? "default")
        for message in request.messages {
            field(message.role.rawValue)
            field(message.content)
        }
        return SHA256.hash(data: bytes).withUnsafeBytes { digest in
            let text = String(unsafeUninitializedCapacity: 2 * digest.count) { text in
                var index = 0
                for byte in digest {
                    text[index] = hexDigits[Int(byte >> 4)]
                    text[index + 1] = hexDigits[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
            return Key(text: text, digest: DigestKey(digest))
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The answer stored under `key`, if it has not expired.
    public func lookup(_ key: Key) -> CachedResponse? {
        let text = key.text
        let key = key.digest
        let now = clock()
        let (memory, stored): (CachedResponse?, Date?) = state.withLock { state in
            guard let entry = state.entries[key]?.entry else {
                return (nil, state.storedKeys[key].flatMap { $0 > now ? $0 : nil })
            }
            guard entry.expiresAt > now else {
                state.entries.removeValue(forKey: key)
                state.storedKeys.removeValue(forKey: key)
                return (nil, nil)
            }
            Self.use(entry, key: key, in: &state)
            return (entry, nil)
        }
        if let memory {
            countHit(text, expiresAt: memory.expiresAt)
            return memory
        }
        // An entry that cannot be read is a miss: the model answers instead.
        guard let stored, let entry = try? store?.cachedResponse(key: text, expiresAt: stored) else { return nil }
        remember(entry, key: key)
        countHit(text, expiresAt: entry.expiresAt)
        return entry
    }

    /// The answer stored under the key spelled `text`, if it has not expired.
    public func lookup(_ text: String) -> CachedResponse? { lookup(Key(text)) }

    /// Stores a complete answer under the key spelled `key`.
    public func save(_ response: ChatResponse, provider: String, costUSD: Double, key: String) {
        save(response, provider: provider, costUSD: costUSD, key: Key(key))
    }

    /// Stores a complete answer.
    public func save(_ response: ChatResponse, provider: String, costUSD: Double, key: Key) {
        let now = clock()
        let entry = CachedResponse(
            text: response.text, provider: provider, model: response.model, promptTokens: response.usage.promptTokens,
            outputTokens: response.usage.outputTokens, costUSD: costUSD, createdAt: now, expiresAt: now.addingTimeInterval(ttl))
        // The same question answered twice at once is saved twice: the first row goes.
        let replacing = remember(entry, key: key.digest)
        // A cache that cannot persist still works from memory.
        if let writer {
            writer.enqueue(.cacheEntry(entry, key: key.text, replacing: replacing))
        } else {
            try? store?.saveCachedResponse(entry, key: key.text, replacing: replacing)  // see above
        }
    }

    private func countHit(_ key: String, expiresAt: Date) {
        if let writer {
            writer.enqueue(.cacheHit(key: key, expiresAt: expiresAt))
        } else {
            try? store?.recordCacheHit(key: key, expiresAt: expiresAt)  // a statistic: a miss costs nothing
        }
    }

    /// Keeps `entry` in memory and notes that the table holds it; returns the expiry the key
    /// was stored with until now, if any.
    @discardableResult
    private func remember(_ entry: CachedResponse, key: DigestKey) -> Date? {
        let now = clock()
        return state.withLock { state in
            Self.forgetExpiredKeys(before: now, in: &state)
            let previous = Self.track(key, expiresAt: entry.expiresAt, cap: keysCap, in: &state)
            Self.use(entry, key: key, in: &state)
            return previous
        }
    }

    /// Notes that the table holds `key` until `expiresAt`; returns the expiry it had before.
    private static func track(_ key: DigestKey, expiresAt: Date, cap: Int, in state: inout State) -> Date? {
        let previous = state.storedKeys.updateValue(expiresAt, forKey: key)
        guard previous != expiresAt else { return nil }
        state.expiries.append((key, expiresAt))
        // Past the cap, the keys soonest to expire are forgotten first.
        while state.storedKeys.count > cap, forgetSoonestKey(in: &state) {}
        return previous
    }

    /// Drops keys whose entries have expired (the table deletes those rows too). Entries are
    /// saved with one TTL, so expiry order is save order and only the front needs looking at.
    private static func forgetExpiredKeys(before now: Date, in state: inout State) {
        while let oldest = state.expiries.first, oldest.expiresAt <= now, forgetSoonestKey(in: &state) {}
    }

    /// Forgets the key soonest to expire; `false` when none is left.
    private static func forgetSoonestKey(in state: inout State) -> Bool {
        guard let oldest = state.expiries.popFirst() else { return false }
        // Saved again since: the later expiry stands.
        if state.storedKeys[oldest.key] == oldest.expiresAt { state.storedKeys.removeValue(forKey: oldest.key) }
        return true
    }

    /// Distinct unexpired keys known to be in the table.
    var storedKeyCount: Int { state.withLock { $0.storedKeys.count } }

    /// Marks `key` most recently used, holding `entry`, and evicts the least recently used beyond
    /// ``memoryCapacity``.
    private static func use(_ entry: CachedResponse, key: DigestKey, in state: inout State) {
        state.clock += 1
        state.entries[key] = (entry, state.clock)
        state.order.append((key, state.clock))
        while state.entries.count > memoryCapacity, let oldest = state.order.popFirst() {
            if state.entries[oldest.key]?.used == oldest.used { state.entries.removeValue(forKey: oldest.key) }
        }
        // Repeated hits leave stale places behind; drop them once they outnumber the live ones.
        if state.order.count > 4 * max(memoryCapacity, state.entries.count) {
            state.order = Deque(state.order.filter { state.entries[$0.key]?.used == $0.used })
        }
    }

    /// Entries held in memory now.
    public var memoryCount: Int { state.withLock { $0.entries.count } }
}

/// A cache key in the cache's tables: the 256 bits of its SHA-256 digest, held inline (no string
/// to retain, compare or hash on every use, and none kept per tracked key). Keys that are not
/// hex digests (tests name theirs) are hashed to one.
struct DigestKey: Hashable {
    let a, b, c, d: UInt64

    init(_ text: String) {
        var text = text
        let parsed: DigestKey? = text.withUTF8 { bytes in
            guard bytes.count == 64 else { return nil }
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            for index in 0..<64 {
                let byte = bytes[index]
                let nibble: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
                default: return nil
                }
                let value = UInt64(nibble) << UInt64(60 - 4 * (index % 16))
                switch index / 16 {
                case 0: words.0 |= value
                case 1: words.1 |= value
                case 2: words.2 |= value
                default: words.3 |= value
                }
            }
            return DigestKey(a: words.0, b: words.1, c: words.2, d: words.3)
        }
        if let parsed {
            self = parsed
        } else {
            self = SHA256.hash(data: Array(text.utf8)).withUnsafeBytes { DigestKey($0) }
        }
    }

    /// The key of a 32-byte digest.
    init(_ digest: UnsafeRawBufferPointer) {
        func word(_ offset: Int) -> UInt64 { digest[offset..<offset + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        self.init(a: word(0), b: word(8), c: word(16), d: word(24))
    }

    private init(a: UInt64, b: UInt64, c: UInt64, d: UInt64) {
        (self.a, self.b, self.c, self.d) = (a, b, c, d)
    }

    /// Digests are uniformly random: two words are as good a hash as four.
    func hash(into hasher: inout Hasher) {
        hasher.combine(a)
        hasher.combine(b)
    }
}
