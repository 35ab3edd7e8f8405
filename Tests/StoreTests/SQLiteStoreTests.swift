import Core
import Foundation
import GRDB
import Testing
import TestSupport

@testable import Store

@Suite struct SQLiteStoreTests {
    @Test func createsTheDirectoryAndMigratesInWALMode() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("nested/deeper/switchboard.sqlite3")
        let store = try SQLiteStore(path: path)
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(try store.appliedMigrations() == ["v1-initial", "v2-circuit-state", "v3-conversation-analytics", "v4-telegram-inbox", "v5-usage-by-time-only"])
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

    @Test func reopeningKeepsDataAndDoesNotMigrateTwice() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("db.sqlite3")
        try SQLiteStore(path: path).saveProviderOverrides(ProviderOverrides(enabled: false, dailyQuotaUSD: 5), for: "openai")
        let reopened = try SQLiteStore(path: path)
        #expect(try reopened.providerOverrides()["openai"] == ProviderOverrides(enabled: false, dailyQuotaUSD: 5))
        #expect(try reopened.appliedMigrations() == ["v1-initial", "v2-circuit-state", "v3-conversation-analytics", "v4-telegram-inbox", "v5-usage-by-time-only"])
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
