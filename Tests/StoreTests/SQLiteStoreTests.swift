import Core
import Foundation
import GRDB
import Testing
import TestSupport

@testable import Store

@Suite struct SQLiteStoreTests {
    @Test func aNewDatabaseIsTheOwnersAlone() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("private.sqlite3")
        let store = try SQLiteStore(path: path)
        try store.logError(source: "test", kind: nil, message: "a row, so the WAL is written")
        for file in [path, path + "-wal", path + "-shm", path + ".lock"] {
            let mode = (try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == 0o600, "\(file): \(String(mode ?? 0, radix: 8))")
        }
    }

    @Test func createsTheDirectoryAndMigratesInWALMode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nested/deeper/switchboard.sqlite3")
        let store = try SQLiteStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try store.appliedMigrations() == ["v1-initial", "v2-circuit-state", "v3-conversation-analytics", "v4-telegram-inbox", "v5-usage-by-time-only", "v6-cache-entries-in-save-order", "v7-telegram-attempts-and-delivery", "v8-budget-reservations", "v9-facts-through", "v10-request-ids"])
        let mode = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
        #expect(mode == "wal")
        let synchronous = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(synchronous == 1, "NORMAL: no disk flush per commit in WAL mode")
        let tables = try store.read { db in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name") }
        for table in ["conversations", "messages", "usage", "cache_entries", "user_profiles", "provider_settings", "secrets", "error_log", "telegram_state", "processed_updates", "runtime_settings"] {
            #expect(tables.contains(table), "missing table \(table)")
        }
    }

    /// The budget refresh sums a window's rows: it must go by the time index, not read every row
    /// of history (by primary key up to the last id, or along an index led by provider).
    @Test func windowSpendIsReadAlongTheTimeIndex() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        for sql in [SQLiteStore.spendByProviderSQL, SQLiteStore.spendByUserSQL] {
            let plan = try store.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: [Date(), 1_000]).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.hasPrefix("SEARCH usage USING INDEX usage_by_time") }, "\(plan)")
        }
    }

    /// Cache rows are found by expiry and key along the expiry index (the table has no index on
    /// the key: a digest would put every save at a random place in it), and expired rows go
    /// along the same index.
    @Test func cacheRowsAreFoundAndSweptAlongTheExpiryIndex() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        for sql in ["SELECT * FROM cache_entries WHERE expires_at = ? AND key = ?", "DELETE FROM cache_entries WHERE expires_at <= ?"] {
            let plan = try store.read { db in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql.replacingOccurrences(of: "?", with: "'x'")).map { $0["detail"] as String }
            }
            #expect(plan.contains { $0.hasPrefix("SEARCH cache_entries USING INDEX cache_entries_by_expiry") }, "\(plan)")
        }
    }

    /// A database from before v6 (cache rows keyed by their digest) keeps its cache entries,
    /// found as before, with their hit counts.
    @Test func upgradingKeepsCacheEntries() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite3")
        let created = Date(timeIntervalSince1970: 1_795_960_740)
        do {
            let queue = try DatabaseQueue(path: path)
            try SQLiteStore.migrator.migrate(queue, upTo: "v5-usage-by-time-only")
            try queue.write { db in
                for (key, expiry) in [("k2", 120.0), ("k1", 60.0)] {
                    try db.execute(
                        sql: "INSERT INTO cache_entries (key, provider, model, response, input_tokens, output_tokens, cost_usd, hits, created_at, expires_at) VALUES (?, 'openai', 'gpt-4o-mini', ?, 10, 5, 0.001, 3, ?, ?)",
                        arguments: [key, "answer \(key)", created, created.addingTimeInterval(expiry)])
                }
            }
        }
        let store = try SQLiteStore(path: path)
        #expect(try store.appliedMigrations().last == "v10-request-ids")
        let keys = try store.cachedKeys(now: created)
        #expect(keys.map(\.key) == ["k1", "k2"], "soonest to expire first")
        #expect(try store.cachedResponse(key: "k2", expiresAt: keys[1].expiresAt)?.text == "answer k2")
        #expect(try store.cachedResponse(key: "k2", expiresAt: keys[0].expiresAt) == nil, "the expiry is part of the address")
        try store.recordCacheHit(key: "k1", expiresAt: keys[0].expiresAt)
        #expect(try store.read { db in try Int.fetchAll(db, sql: "SELECT hits FROM cache_entries ORDER BY key") } == [4, 3])
    }

    @Test func reopeningKeepsDataAndDoesNotMigrateTwice() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite3")
        try SQLiteStore(path: path).saveProviderOverrides(ProviderOverrides(enabled: false, dailyQuotaUSD: 5), for: "openai")
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.providerOverrides()["openai"] == ProviderOverrides(enabled: false, dailyQuotaUSD: 5))
        #expect(try reopened.appliedMigrations() == ["v1-initial", "v2-circuit-state", "v3-conversation-analytics", "v4-telegram-inbox", "v5-usage-by-time-only", "v6-cache-entries-in-save-order", "v7-telegram-attempts-and-delivery", "v8-budget-reservations", "v9-facts-through", "v10-request-ids"])
    }

    @Test func aFileThatIsNotADatabaseGivesAClearError() throws {
        let directory = try TemporaryDirectory()
        let path = try directory.write("garbage.sqlite3", String(repeating: "this is not sqlite ", count: 400))
        do {
            _ = try SQLiteStore(path: path)
            Issue.record("opened a garbage file")
        } catch {
            #expect(error.code == .corrupt)
            #expect(error.description.contains(path))
        }
        // Nothing was overwritten.
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("this is not sqlite"))
    }

    @Test func aDirectoryThatCannotBeCreatedGivesAClearError() throws {
        let directory = try TemporaryDirectory()
        let blocker = try directory.write("plain-file", "x")
        let path = blocker + "/sub/db.sqlite3"
        do {
            _ = try SQLiteStore(path: path)
            Issue.record("opened under a file")
        } catch {
            #expect(error.code == .cannotCreateDirectory)
            #expect(error.description.contains(path))
        }
    }

    @Test func aReadOnlyLocationGivesAClearError() throws {
        // /proc refuses writes even to root, so this holds for any user running the tests.
        do {
            _ = try SQLiteStore(path: "/proc/switchboard-test/db.sqlite3")
            Issue.record("opened under /proc")
        } catch {
            #expect(error.description.contains("/proc/switchboard-test/db.sqlite3"))
        }
    }
}
