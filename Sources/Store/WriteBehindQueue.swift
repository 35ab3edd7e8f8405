public import Foundation
import Core
import GRDB
import Logging
import Synchronization

/// Writes that need not hold up an answer — usage rows, cache entries and hits, error-log lines —
/// queued and written by one background thread, many per transaction.
///
/// A request then costs the database nothing on its path; rows reach the file within a twentieth
/// of a second.
/// `flush()` waits until everything queued so far is written (before a command exits, in tests).
/// When a write fails (a full disk), the items stay queued and are retried; nothing is dropped
/// until ``capacity`` items are waiting, after which the oldest go, and the loss is logged.
public final class WriteBehindQueue: Sendable {
    /// One pending write.
    public enum Item: Sendable {
        /// `settling`: the budget reservation the row replaces (deleted in the same transaction).
        case usage(UsageRecord, settling: Int64? = nil)
        /// A budget reservation given back unused.
        case releaseReservation(Int64)
        /// `replacing`: the expiry of the entry already stored under the key, which goes.
        case cacheEntry(CachedResponse, key: String, replacing: Date?)
        /// A hit on the entry stored under `key` with expiry `expiresAt`.
        case cacheHit(key: String, expiresAt: Date)
        case error(source: String, kind: String?, message: String, request: String? = nil, at: Date)
    }

    struct State {
        var items: [Item] = []
        var writing = 0
        var written: UInt64 = 0
        var enqueued: UInt64 = 0
        var stopped = false
        var dropped = 0
        /// Someone waits in `flush()`: write without gathering more.
        var flushWaiters = 0
        /// The writer sleeps until an item arrives; only then does `enqueue` wake it (waking it
        /// for every item while it gathers a batch would cost a thread switch per write).
        var writerIdle = false
    }

    /// How long the writer gathers items before a transaction, unless someone is flushing: one
    /// commit for many requests instead of one each, since a batch's rows share its fixed costs
    /// (the transaction, the pages each table's last leaf rewrites). 50 ms is short next to any
    /// answer and gathers a busy moment's rows (the write-behind benchmark measures the cost).
    static let batchWindow: TimeInterval = 0.05

    /// Items kept while the database refuses writes.
    public static let capacity = 100_000
    /// Pause before retrying after a failed write.
    static let retryDelay: TimeInterval = 0.5

    private let store: SQLiteStore
    private let state = Mutex(State())
    private let condition = NSCondition()
    private let onWritten = Mutex<@Sendable ([UsageRecord]) -> Void>({ _ in })
    private let logger = Logger(label: "switchboard.store")

    /// A queue writing to `store`.
    public init(store: SQLiteStore) {
        self.store = store
        let thread = Thread { [self] in run() }
        thread.name = "switchboard-writer"
        thread.start()
    }

    /// Sets who hears the usage rows of each committed batch (the budget ledger).
    public func onWritten(_ handler: @escaping @Sendable ([UsageRecord]) -> Void) {
        onWritten.withLock { $0 = handler }
    }

    /// Queues a write; returns at once.
    public func enqueue(_ item: Item) {
        let wake = state.withLock { state in
            state.items.append(item)
            state.enqueued += 1
            if state.items.count > Self.capacity {
                state.items.removeFirst()
                state.dropped += 1
            }
            return state.writerIdle
        }
        // Only an idle writer needs waking, under the condition's lock: it marks itself idle while
        // holding that lock and releases it only as it starts to wait, so the wake-up cannot fall
        // between the two. A writer gathering a batch takes the item when its window ends.
        guard wake else { return }
        condition.lock()
        condition.broadcast()
        condition.unlock()
    }

    /// Waits until every item queued before the call is written (or `timeout` passes).
    @discardableResult
    public func flush(timeout: TimeInterval = 10) -> Bool {
        let target = state.withLock { $0.enqueued }
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        state.withLock { $0.flushWaiters += 1 }
        defer {
            state.withLock { $0.flushWaiters -= 1 }
            condition.unlock()
        }
        while state.withLock({ $0.written + UInt64($0.dropped) < target }) {
            condition.broadcast()
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    /// Stops the thread after the queue is written.
    public func stop() {
        flush()
        condition.lock()
        state.withLock { $0.stopped = true }
        condition.broadcast()
        condition.unlock()
    }

    private func run() {
        while true {
            condition.lock()
            while state.withLock({ state in
                state.writerIdle = state.items.isEmpty && !state.stopped
                return state.writerIdle
            }) { condition.wait() }
            let gatherUntil = Date().addingTimeInterval(Self.batchWindow)
            while state.withLock({ !$0.stopped && $0.flushWaiters == 0 }) && condition.wait(until: gatherUntil) {}
            let (batch, stopped) = state.withLock { state -> ([Item], Bool) in
                defer { state.items.removeAll(keepingCapacity: true) }
                return (state.items, state.stopped)
            }
            condition.unlock()
            if batch.isEmpty && stopped { return }
            do {
                let usage = try write(batch)
                let handler = onWritten.withLock { $0 }
                handler(usage)
                condition.lock()
                state.withLock { $0.written += UInt64(batch.count) }
                condition.broadcast()
                condition.unlock()
            } catch {
                logger.error("database write failed; will retry", metadata: ["items": "\(batch.count)", "reason": "\(error)"])
                condition.lock()
                state.withLock { state in
                    state.items.insert(contentsOf: batch, at: 0)
                    let excess = state.items.count - Self.capacity
                    if excess > 0 {
                        state.items.removeFirst(excess)
                        state.dropped += excess
                    }
                }
                condition.unlock()
                Thread.sleep(forTimeInterval: Self.retryDelay)
            }
        }
    }

    /// Writes a batch in one transaction, each table's rows together (several a statement), and
    /// returns its usage rows.
    ///
    /// Only the cache's rows depend on one another: expired entries go first (once a batch),
    /// then the rows being replaced, then the new entries, then the hits (an entry saved in this
    /// batch can be hit in it). An entry saved and replaced within the batch is never inserted.
    private func write(_ batch: [Item]) throws(StoreError) -> [UsageRecord] {
        var usage: [UsageRecord] = []
        var entries: [(response: CachedResponse, key: String)] = []
        var replaced: [(key: String, expiresAt: Date)] = []
        var hits: [(key: String, expiresAt: Date)] = []
        var errors: [(source: String, kind: String?, message: String, request: String?, at: Date)] = []
        var reservations: [Int64] = []
        usage.reserveCapacity(batch.count)
        entries.reserveCapacity(batch.count)
        for item in batch {
            switch item {
            case .usage(let record, let reservation):
                usage.append(record)
                if let reservation { reservations.append(reservation) }
            case .releaseReservation(let reservation):
                reservations.append(reservation)
            case .cacheEntry(let response, let key, let replacing):
                if let replacing {
                    let stamp = StoredValues.text(replacing)
                    if let pending = entries.lastIndex(where: { $0.key == key && StoredValues.text($0.response.expiresAt) == stamp }) {
                        entries.remove(at: pending)
                    } else {
                        replaced.append((key, replacing))
                    }
                }
                entries.append((response, key))
            case .cacheHit(let key, let expiresAt):
                hits.append((key, expiresAt))
            case .error(let source, let kind, let message, let request, let at):
                errors.append((source, kind, message, request, at))
            }
        }
        try store.write { db in
            try SQLiteStore.insert(usage, in: db)
            try SQLiteStore.deleteReservations(reservations, in: db)
            if let first = entries.first {
                try SQLiteStore.deleteExpiredCacheEntries(at: first.response.createdAt, in: db)
            }
            for row in replaced { try SQLiteStore.deleteCacheEntry(key: row.key, expiresAt: row.expiresAt, in: db) }
            try SQLiteStore.insertCacheEntries(entries, in: db)
            for hit in hits { try SQLiteStore.countCacheHit(key: hit.key, expiresAt: hit.expiresAt, in: db) }
            for error in errors {
                try db.cachedStatement(sql: "INSERT INTO error_log (source, kind, message, request_id, created_at) VALUES (?, ?, ?, ?, ?)").run([error.source.databaseValue, StoredValues.value(error.kind), Redactor.shared.scrub(error.message).databaseValue, StoredValues.value(error.request), StoredValues.value(error.at)], in: db)
            }
        }
        return usage
    }
}
