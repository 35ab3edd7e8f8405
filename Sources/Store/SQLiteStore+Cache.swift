public import Foundation
import GRDB

/// An answer kept for identical requests.
public struct CachedResponse: Sendable, Hashable {
    public var text: String
    public var provider: String
    public var model: String
    public var promptTokens: Int
    public var outputTokens: Int
    /// What the original call cost: what each hit saves.
    public var costUSD: Double
    public var createdAt: Date
    public var expiresAt: Date

    public init(text: String, provider: String, model: String, promptTokens: Int, outputTokens: Int, costUSD: Double, createdAt: Date, expiresAt: Date) {
        self.text = text
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}

extension SQLiteStore {
    // Rows are found by expiry and key together: the table is in save order with an index on
    // the expiry only (no B-tree keyed by a random digest to rewrite on every save), and the
    // cache knows each unexpired key's expiry (`cachedKeys`, then every save).

    /// The answer stored under `key` with expiry `expiresAt`, if it is still there.
    public func cachedResponse(key: String, expiresAt: Date) throws(StoreError) -> CachedResponse? {
        try read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM cache_entries WHERE expires_at = ? AND key = ?"), arguments: [StoredValues.value(expiresAt), key]).map { row in
                CachedResponse(
                    text: row["response"], provider: row["provider"], model: row["model"], promptTokens: row["input_tokens"],
                    outputTokens: row["output_tokens"], costUSD: row["cost_usd"], createdAt: row["created_at"], expiresAt: row["expires_at"])
            }
        }
    }

    /// Stores an answer and drops expired entries. `replacing`: the expiry of the entry already
    /// stored under the same key, which goes.
    public func saveCachedResponse(_ response: CachedResponse, key: String, replacing: Date? = nil) throws(StoreError) {
        try write { db in
            try Self.deleteExpiredCacheEntries(at: response.createdAt, in: db)
            if let replacing { try Self.deleteCacheEntry(key: key, expiresAt: replacing, in: db) }
            try Self.insertCacheEntries(CollectionOfOne((response, key)), in: db)
        }
    }

    /// Removes the entries expired at `date`.
    static func deleteExpiredCacheEntries(at date: Date, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM cache_entries WHERE expires_at <= ?").run([StoredValues.value(date)], in: db)
    }

    static func deleteCacheEntry(key: String, expiresAt: Date, in db: Database) throws {
        try db.cachedStatement(sql: "DELETE FROM cache_entries WHERE expires_at = ? AND key = ?").run([StoredValues.value(expiresAt), key.databaseValue], in: db)
    }

    /// Stores answers, several a statement.
    static func insertCacheEntries(_ entries: some Collection<(response: CachedResponse, key: String)>, in db: Database) throws {
        try insertRows(entries, statements: cacheInserts, in: db) { entry, values in
            let response = entry.response
            values.append(entry.key.databaseValue)
            values.append(response.provider.databaseValue)
            values.append(response.model.databaseValue)
            values.append(response.text.databaseValue)
            values.append(response.promptTokens.databaseValue)
            values.append(response.outputTokens.databaseValue)
            values.append(response.costUSD.databaseValue)
            values.append(StoredValues.value(response.createdAt))
            values.append(StoredValues.value(response.expiresAt))
        }
    }

    private static let cacheInserts = InsertStatements(
        table: "cache_entries", columns: "key, provider, model, response, input_tokens, output_tokens, cost_usd, hits, created_at, expires_at",
        row: "(?, ?, ?, ?, ?, ?, ?, 0, ?, ?)")

    /// Counts a hit on the entry stored under `key` with expiry `expiresAt`.
    public func recordCacheHit(key: String, expiresAt: Date) throws(StoreError) {
        try write { db in try Self.countCacheHit(key: key, expiresAt: expiresAt, in: db) }
    }

    static func countCacheHit(key: String, expiresAt: Date, in db: Database) throws {
        try db.cachedStatement(sql: "UPDATE cache_entries SET hits = hits + 1 WHERE expires_at = ? AND key = ?").run([StoredValues.value(expiresAt), key.databaseValue], in: db)
    }

    /// The keys of the unexpired entries with when each expires, soonest first.
    public func cachedKeys(now: Date) throws(StoreError) -> [(key: String, expiresAt: Date)] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT key, expires_at FROM cache_entries WHERE expires_at > ? ORDER BY expires_at", arguments: [StoredValues.value(now)]).map { ($0["key"], $0["expires_at"]) }
        }
    }

    /// How many unexpired entries the cache holds.
    public func cacheEntryCount(now: Date) throws(StoreError) -> Int {
        try read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM cache_entries WHERE expires_at > ?", arguments: [StoredValues.value(now)]) ?? 0 }
    }
}
