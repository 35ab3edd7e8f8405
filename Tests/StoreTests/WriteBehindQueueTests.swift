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
}
