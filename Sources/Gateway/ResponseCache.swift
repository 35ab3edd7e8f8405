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
        /// expires: a miss on a key outside it needs no database read. Entries another process
        /// adds appear after a restart.
        var storedKeys: [DigestKey: Date] = [:]
        /// The same keys by expiry, soonest first (a key saved again appears again, later), so
        /// expired keys leave `storedKeys` as time passes: it holds one TTL's worth of saves.
        var expiries: Deque<(key: DigestKey, expiresAt: Date)> = []
        /// `false` once `storedKeys` outgrew its cap: every miss then asks the table.
        var keysComplete = true
    }

    /// Unexpired keys tracked in memory at most (one TTL's worth of distinct questions), before
    /// misses go back to asking the table.
    static let storedKeysCap = 200_000

    /// Entries kept in memory; the table holds the rest until they expire.
    public static let memoryCapacity = 1_000

    private let store: SQLiteStore?
    private let writer: WriteBehindQueue?
    private let ttl: TimeInterval
    private let state = Mutex(State())
    private let clock: @Sendable () -> Date

    /// A cache with time to live `ttl` seconds over `store` (memory only when `nil`).
    /// With a `writer`, new entries and hit counts are written behind the request.
    public init(store: SQLiteStore?, ttl: TimeInterval, writer: WriteBehindQueue? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.writer = writer
        self.ttl = ttl
        self.clock = clock
        let keys = (try? store?.cachedKeys(now: clock())) ?? []
        state.withLock { state in
            for (key, expiresAt) in keys { Self.track(DigestKey(key), expiresAt: expiresAt, in: &state) }
        }
    }

    /// The cache key of a request to `model`.
    public static func key(model: String, request: ChatRequest) -> String {
        var hasher = SHA256()
        func feed(_ text: String) {
            var text = text
            text.withUTF8 { hasher.update(bufferPointer: UnsafeRawBufferPointer($0)) }
        }
        func field(_ text: String) {
            // Length-prefixed, so no two different requests can concatenate to the same bytes.
            feed(String(text.utf8.count))
            feed(":")
            feed(text)
        }
        field("v1")
        field(model)
        field(String(request.maxOutputTokens))
        field(request.temperature.map { String($0) } ?? "default")
        for message in request.messages {
            field(message.role.rawValue)
            field(message.content)
        }
        return hasher.finalize().withUnsafeBytes { digest in
            String(unsafeUninitializedCapacity: 2 * digest.count) { text in
                var index = 0
                for byte in digest {
                    text[index] = hexDigits[Int(byte >> 4)]
                    text[index + 1] = hexDigits[Int(byte & 0x0F)]
                    index += 2
                }
                return index
            }
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    /// The answer stored under `key`, if it has not expired.
    public func lookup(_ text: String) -> CachedResponse? {
        let key = DigestKey(text)
        let now = clock()
        let (memory, stored): (CachedResponse?, Bool) = state.withLock { state in
            guard let entry = state.entries[key]?.entry else {
                return (nil, !state.keysComplete || (state.storedKeys[key].map { $0 > now } ?? false))
            }
            guard entry.expiresAt > now else {
                state.entries.removeValue(forKey: key)
                state.storedKeys.removeValue(forKey: key)
                return (nil, false)
            }
            Self.use(entry, key: key, in: &state)
            return (entry, true)
        }
        if let memory {
            countHit(text)
            return memory
        }
        guard stored, let stored = try? store?.cachedResponse(key: text, now: now) else { return nil }
        remember(stored, key: key)
        countHit(text)
        return stored
    }

    /// Stores a complete answer.
    public func save(_ response: ChatResponse, provider: String, costUSD: Double, key: String) {
        let now = clock()
        let entry = CachedResponse(
            text: response.text, provider: provider, model: response.model, promptTokens: response.usage.promptTokens,
            outputTokens: response.usage.outputTokens, costUSD: costUSD, createdAt: now, expiresAt: now.addingTimeInterval(ttl))
        remember(entry, key: DigestKey(key))
        // A cache that cannot persist still works from memory.
        if let writer {
            writer.enqueue(.cacheEntry(entry, key: key))
        } else {
            try? store?.saveCachedResponse(entry, key: key)
        }
    }

    private func countHit(_ key: String) {
        if let writer {
            writer.enqueue(.cacheHit(key: key))
        } else {
            try? store?.recordCacheHit(key: key)
        }
    }

    private func remember(_ entry: CachedResponse, key: DigestKey) {
        let now = clock()
        state.withLock { state in
            Self.forgetExpiredKeys(before: now, in: &state)
            Self.track(key, expiresAt: entry.expiresAt, in: &state)
            Self.use(entry, key: key, in: &state)
        }
    }

    /// Notes that the table holds `key` until `expiresAt`.
    private static func track(_ key: DigestKey, expiresAt: Date, in state: inout State) {
        guard state.keysComplete else { return }
        state.storedKeys[key] = expiresAt
        state.expiries.append((key, expiresAt))
        if state.storedKeys.count > storedKeysCap {
            state.storedKeys = [:]
            state.expiries = []
            state.keysComplete = false
        }
    }

    /// Drops keys whose entries have expired (the table deletes those rows too). Entries are
    /// saved with one TTL, so expiry order is save order and only the front needs looking at.
    private static func forgetExpiredKeys(before now: Date, in state: inout State) {
        while let oldest = state.expiries.first, oldest.expiresAt <= now {
            state.expiries.removeFirst()
            // Saved again since: the later expiry stands.
            if state.storedKeys[oldest.key] == oldest.expiresAt { state.storedKeys.removeValue(forKey: oldest.key) }
        }
    }

    /// Distinct unexpired keys known to be in the table (`nil` once past the cap).
    var storedKeyCount: Int? { state.withLock { $0.keysComplete ? $0.storedKeys.count : nil } }

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

/// A cache key in the cache's tables. Keys are SHA-256 digests in hex, as random in their first
/// 16 characters as in all 64, so only those are hashed (equality still compares the whole key):
/// every request hashes its key half a dozen times across the tables.
struct DigestKey: Hashable {
    let text: String

    init(_ text: String) { self.text = text }

    func hash(into hasher: inout Hasher) {
        var text = text
        text.withUTF8 { bytes in hasher.combine(bytes: UnsafeRawBufferPointer(UnsafeBufferPointer(rebasing: bytes.prefix(16)))) }
    }

    static func == (a: DigestKey, b: DigestKey) -> Bool { a.text == b.text }
}
