import Foundation
import Synchronization
import Testing
import TestSupport

@testable import Store

@Suite struct WriteBehindQueueTests {
    @Test func everythingQueuedIsWrittenByFlushAndReported() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        let queue = WriteBehindQueue(store: store)
        let reported = Mutex(0)
        queue.onWritten { records in reported.withLock { $0 += records.count } }
        let now = Date()
        for index in 0..<1_000 {
            queue.enqueue(.usage(UsageRecord(requestID: "r\(index)", provider: "openai", model: "m", costUSD: 0.001, outcome: .ok, createdAt: now)))
        }
        queue.enqueue(.error(source: "test", kind: "k", message: "logged", at: now))
        let expiry = now.addingTimeInterval(60)
        queue.enqueue(.cacheEntry(CachedResponse(text: "t", provider: "openai", model: "m", promptTokens: 1, outputTokens: 1, costUSD: 0, createdAt: now, expiresAt: expiry), key: "key", replacing: nil))
        queue.enqueue(.cacheHit(key: "key", expiresAt: expiry))
        #expect(queue.flush())
        #expect(try store.recentUsage(limit: 2_000).count == 1_000)
        #expect(abs(try store.spend(since: now.addingTimeInterval(-1)).total - 1.0) < 1e-9)
        #expect(try store.recentErrors(limit: 1).first?.message == "logged")
        #expect(try store.cachedResponse(key: "key", expiresAt: expiry)?.text == "t")
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT hits FROM cache_entries WHERE key = 'key'") } == 1)
        #expect(reported.withLock { $0 } == 1_000)
        queue.stop()
    }

    /// A batch's rows go in several a statement: every field of every row arrives, in order,
    /// whatever the count (whole statements and a remainder).
    @Test func rowsWrittenSeveralAStatementKeepEveryFieldAndTheirOrder() throws {
        let directory = try TemporaryDirectory()
        let store = try SQLiteStore(path: directory.file("db.sqlite3"))
        let start = Date(timeIntervalSince1970: 1_795_960_740.125)
        let count = 2 * InsertStatements.rowsPerStatement + 3
        let records = (0..<count).map { Self.record($0, start: start) }
        try store.write { db in try SQLiteStore.insert(records, in: db) }
        #expect(try store.recentUsage(limit: 100).reversed() == records)
        let entries = (0..<count).map { index in
            (response: CachedResponse(
                text: "answer \(index)", provider: "openai", model: "m\(index)", promptTokens: index, outputTokens: index + 1, costUSD: Double(index) / 100,
                createdAt: start, expiresAt: start.addingTimeInterval(60 + Double(index))), key: "k\(index)")
        }
        try store.write { db in try SQLiteStore.insertCacheEntries(entries, in: db) }
        for entry in entries {
            #expect(try store.cachedResponse(key: entry.key, expiresAt: entry.response.expiresAt) == entry.response)
        }
    }

    /// A usage row whose optional fields are set or not, and whose values differ, by `index`.
    static func record(_ index: Int, start: Date) -> UsageRecord {
        let even = index % 2 == 0
        let third = index % 3 == 0
        let conversation: String? = even ? "tg:\(index)" : nil
        let user: String? = third ? "u\(index)" : nil
        let latency: Int? = index % 5 == 0 ? nil : 10 * index
        let firstToken: Int? = index % 6 == 0 ? nil : index
        let reason: String? = even ? "reason \(index) — ünïcode" : nil
        let errorKind: String? = third ? "server_error" : nil
        return UsageRecord(
            requestID: "r\(index)", conversationID: conversation, userID: user, provider: even ? "openai" : "anthropic", model: "m\(index)",
            promptTokens: index, outputTokens: 2 * index, cacheReadTokens: index / 2, cacheWriteTokens: index / 3, costUSD: Double(index) / 1_000,
            costEstimated: index % 4 == 0, latencyMilliseconds: latency, timeToFirstTokenMilliseconds: firstToken, cacheHit: index % 7 == 0,
            routeReason: reason, outcome: third ? .error : .ok, errorKind: errorKind, createdAt: start.addingTimeInterval(Double(index)))
    }
}
