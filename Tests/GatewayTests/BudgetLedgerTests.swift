import Core
import Foundation
import Store
import Synchronization
import Testing
import TestSupport

@testable import Gateway

/// A clock the test moves by hand.
@Suite struct BudgetLedgerTests {
    // 2026-11-24 13:59:00 UTC
    static let start = Date(timeIntervalSince1970: 1_795_960_740)

    let directory: TemporaryDirectory
    let store: SQLiteStore
    let clock = ManualClock(start)

    init() throws {
        directory = try TemporaryDirectory()
        store = try SQLiteStore(path: directory.file("db.sqlite3"))
    }

    func ledger(_ limits: BudgetLimits, bus: EventBus<Event>? = nil) -> BudgetLedger {
        let clock = clock
        return BudgetLedger(store: store, limits: limits, bus: bus, clock: { clock.now })
    }

    func record(_ provider: String, _ cost: Double, user: String? = nil) -> UsageRecord {
        UsageRecord(requestID: UUID().uuidString, userID: user, provider: provider, model: "m", costUSD: cost, outcome: .ok, createdAt: clock.now)
    }

    @Test func twoHundredConcurrentRequestsNeverOverspendABudgetThatFitsTen() async throws {
        let ledger = ledger(BudgetLimits(defaultHourly: 1.0, defaultDaily: 1.0, globalDaily: 100, userDaily: nil))
        let granted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask {
                    guard let reservation = try? ledger.reserve(provider: "openai", user: nil, amount: 0.1) else { return false }
                    await Task.yield()
                    _ = try? ledger.settle(reservation, record: self.record("openai", 0.1))
                    return true
                }
            }
            var count = 0
            for await ok in group where ok { count += 1 }
            return count
        }
        #expect(granted == 10)
        let spent = try store.spend(since: BudgetLedger.windowStart(.hourly, at: clock.now)).total
        #expect(spent <= 1.0 + 1e-9)
        #expect(abs(spent - 1.0) < 1e-9)
    }

    @Test func reservationsCountUntilSettledOrReleased() throws {
        let ledger = ledger(BudgetLimits(defaultHourly: 1, defaultDaily: 5, globalDaily: 100, userDaily: nil))
        let first = try ledger.reserve(provider: "openai", user: nil, amount: 0.6)
        #expect(throws: BudgetError.self) { try ledger.reserve(provider: "openai", user: nil, amount: 0.6) }
        #expect(try ledger.reserve(provider: "anthropic", user: nil, amount: 0.6).amount == 0.6, "another provider has its own quota")
        ledger.release(first)
        let second = try ledger.reserve(provider: "openai", user: nil, amount: 0.6)
        // Settled below the reservation: the difference comes back.
        try ledger.settle(second, record: record("openai", 0.2))
        #expect(abs(ledger.headroom(provider: "openai", user: nil).providerHourly - 0.8) < 1e-9)
    }

    @Test func windowsAreUTCCalendarHoursAndDays() throws {
        let ledger = ledger(BudgetLimits(defaultHourly: 1, defaultDaily: 1.5, globalDaily: 100, userDaily: nil))
        try ledger.settle(try ledger.reserve(provider: "openai", user: nil, amount: 1), record: record("openai", 1))
        #expect(throws: BudgetError.self) { try ledger.reserve(provider: "openai", user: nil, amount: 0.1) }
        clock.advance(60)  // 14:00:00 — a new hour, the same day
        #expect(abs(ledger.headroom(provider: "openai", user: nil).providerHourly - 1) < 1e-9)
        #expect(abs(ledger.headroom(provider: "openai", user: nil).providerDaily - 0.5) < 1e-9)
        clock.advance(10 * 3600)  // 00:00:00 the next day
        #expect(abs(ledger.headroom(provider: "openai", user: nil).providerDaily - 1.5) < 1e-9)
    }

    @Test func aRestartKeepsTheSpend() throws {
        let first = ledger(BudgetLimits(defaultHourly: 1, defaultDaily: 2, globalDaily: 100, userDaily: nil))
        try first.settle(try first.reserve(provider: "openai", user: nil, amount: 0.9), record: record("openai", 0.9))
        let reopened = try SQLiteStore(path: directory.file("db.sqlite3"))
        let clock = clock
        let second = BudgetLedger(store: reopened, limits: BudgetLimits(defaultHourly: 1, defaultDaily: 2, globalDaily: 100, userDaily: nil), clock: { clock.now })
        #expect(abs(second.headroom(provider: "openai", user: nil).providerHourly - 0.1) < 1e-9)
        #expect(throws: BudgetError.self) { try second.reserve(provider: "openai", user: nil, amount: 0.2) }
    }

    @Test func anotherProcesssSpendIsSeenAfterTheRefreshInterval() throws {
        let ledger = ledger(BudgetLimits(defaultHourly: 1, defaultDaily: 2, globalDaily: 100, userDaily: nil))
        #expect(ledger.headroom(provider: "openai", user: nil).providerHourly == 1)
        try store.recordUsage(record("openai", 0.7))  // as another process would
        clock.advance(BudgetLedger.refreshInterval)
        #expect(abs(ledger.headroom(provider: "openai", user: nil).providerHourly - 0.3) < 1e-9)
    }

    /// Two processes spend into one file while each keeps its sums by reading only the rows added
    /// since its last read: after every refresh, each one's sums are the file's exact sums.
    @Test func sumsKeptFromAddedRowsMatchTheFileAcrossRefreshesAndAnHourRollover() throws {
        let limits = BudgetLimits(defaultHourly: 1_000, defaultDaily: 1_000, globalDaily: 1_000, userDaily: 1_000)
        let clock = clock
        let otherStore = try SQLiteStore(path: directory.file("db.sqlite3"))
        let writers = [WriteBehindQueue(store: store), WriteBehindQueue(store: otherStore)]
        let ledgers = [
            BudgetLedger(store: store, limits: limits, writer: writers[0], clock: { clock.now }),
            BudgetLedger(store: otherStore, limits: limits, writer: writers[1], clock: { clock.now }),
        ]
        for step in 0..<40 {
            for (index, ledger) in ledgers.enumerated() where (step + index) % 3 != 0 {
                let provider = step % 2 == 0 ? "openai" : "anthropic"
                let cost = Double(step % 7 + 1) / 100
                try ledger.settle(try ledger.reserve(provider: provider, user: "u\(step % 3)", amount: cost), record: record(provider, cost, user: "u\(step % 3)"))
            }
            if step % 4 == 3 { writers.forEach { $0.flush() } }
            clock.advance(step == 20 ? 60 : BudgetLedger.refreshInterval / 2)  // 13:59:00 → past 14:00 at step 20
        }
        writers.forEach { $0.flush() }
        clock.advance(BudgetLedger.refreshInterval)
        let hour = try store.spend(since: BudgetLedger.windowStart(.hourly, at: clock.now))
        let day = try store.spend(since: BudgetLedger.windowStart(.daily, at: clock.now))
        #expect(hour.total > 0 && hour.total < day.total, "the rollover left part of the spend in the last hour")
        for ledger in ledgers {
            let snapshot = ledger.snapshot(providers: ["openai", "anthropic"])
            for provider in ["openai", "anthropic"] {
                #expect(abs((snapshot.line(provider, .hourly)?.spent ?? -1) - (hour.byProvider[provider] ?? 0)) < 1e-9)
                #expect(abs((snapshot.line(provider, .daily)?.spent ?? -1) - (day.byProvider[provider] ?? 0)) < 1e-9)
            }
            #expect(abs((snapshot.line(nil, .daily)?.spent ?? -1) - day.total) < 1e-9)
            for user in ["u0", "u1", "u2"] {
                #expect(abs((ledger.headroom(provider: "openai", user: user).user ?? -1) - (1_000 - (day.byUser[user] ?? 0))) < 1e-9)
            }
        }
        writers.forEach { $0.stop() }
    }

    /// Two processes on one file (two stores, two ledgers, two write-behind queues): a reservation
    /// made by one binds the other at once, with no refresh in between, and so does a settled row
    /// still waiting in the first one's queue.
    @Test func anotherProcesssReservationBindsAtOnce() throws {
        let limits = BudgetLimits(defaultHourly: 1, defaultDaily: 10, globalDaily: 100, userDaily: nil)
        let clock = clock
        let otherStore = try SQLiteStore(path: directory.file("db.sqlite3"))
        let writers = [WriteBehindQueue(store: store), WriteBehindQueue(store: otherStore)]
        defer { writers.forEach { $0.stop() } }
        let first = BudgetLedger(store: store, limits: limits, writer: writers[0], clock: { clock.now })
        let second = BudgetLedger(store: otherStore, limits: limits, writer: writers[1], clock: { clock.now })
        _ = second.headroom(provider: "openai", user: nil)  // read once: the next refresh is 2 s away
        let held = try first.reserve(provider: "openai", user: nil, amount: 0.6, for: .init(requestID: "r1", model: "gpt-4o"))
        #expect(throws: BudgetError.self, "the other process's reservation counts") { try second.reserve(provider: "openai", user: nil, amount: 0.6) }
        try first.settle(held, record: record("openai", 0.55))
        // Settled but (probably) still queued: the reservation row stands for it until the row is in.
        #expect(throws: BudgetError.self) { try second.reserve(provider: "openai", user: nil, amount: 0.5) }
        writers[0].flush()
        #expect(try store.budgetReservations().isEmpty, "the usage row replaced the reservation")
        #expect(try second.reserve(provider: "openai", user: nil, amount: 0.45).amount == 0.45, "what was not spent is free again")
        #expect(throws: BudgetError.self) { try second.reserve(provider: "openai", user: nil, amount: 0.01) }
    }

    /// A reservation left by a process that died (kill -9 mid-stream) is charged in full, as an
    /// estimated `interrupted` attempt, by the next ledger that reads the file.
    @Test func aDeadProcesssReservationBecomesAnInterruptedUsageRow() throws {
        let exited = Process()
        exited.executableURL = URL(fileURLWithPath: "/bin/true")
        try exited.run()
        exited.waitUntilExit()
        let row = BudgetReservationRow(
            owner: "dead", processID: exited.processIdentifier, requestID: "killed-request", conversationID: "c1", userID: "u1",
            provider: "openai", model: "gpt-4o", amountUSD: 0.25, createdAt: clock.now)
        _ = try store.reserveBudget(.added(after: 0), owner: "dead") { _ in row }
        let ledger = ledger(BudgetLimits(defaultHourly: 1, defaultDaily: 10, globalDaily: 100, userDaily: 1))
        #expect(abs(ledger.headroom(provider: "openai", user: "u1").providerHourly - 0.75) < 1e-9, "counted while it is reserved")
        let usage = try store.recentUsage(limit: 5)
        #expect(usage.count == 1)
        #expect(usage.first?.outcome == .interrupted && usage.first?.costEstimated == true)
        #expect(usage.first?.costUSD == 0.25 && usage.first?.requestID == "killed-request" && usage.first?.userID == "u1" && usage.first?.model == "gpt-4o")
        #expect(try store.budgetReservations().isEmpty)
        clock.advance(BudgetLedger.refreshInterval)
        let room = ledger.headroom(provider: "openai", user: "u1")
        #expect(abs(room.providerHourly - 0.75) < 1e-9 && abs((room.user ?? 0) - 0.75) < 1e-9, "then counted as spent, once")
    }

    @Test func globalAndUserLimitsBind() throws {
        let ledger = ledger(BudgetLimits(defaultHourly: 10, defaultDaily: 10, globalDaily: 1, userDaily: 0.5))
        try ledger.settle(try ledger.reserve(provider: "openai", user: "42", amount: 0.4), record: record("openai", 0.4, user: "42"))
        do {
            _ = try ledger.reserve(provider: "anthropic", user: "42", amount: 0.2)
            Issue.record("the user's budget did not bind")
        } catch {
            #expect(error.scope == "the user's daily budget")
        }
        _ = try ledger.reserve(provider: "anthropic", user: "7", amount: 0.5)
        do {
            _ = try ledger.reserve(provider: "anthropic", user: "8", amount: 0.2)
            Issue.record("the global limit did not bind")
        } catch {
            #expect(error.scope == "global daily limit")
        }
    }

    @Test func alertsFireOnceAtEightyAndAHundredPercent() throws {
        let bus = EventBus<Event>()
        let events = bus.subscribe()
        let ledger = ledger(BudgetLimits(defaultHourly: 1, defaultDaily: 100, globalDaily: 100, userDaily: nil), bus: bus)
        for _ in 0..<10 {
            guard let reservation = try? ledger.reserve(provider: "openai", user: nil, amount: 0.1) else { break }
            try ledger.settle(reservation, record: record("openai", 0.1))
        }
        let published = events.drain()
        let alerts = published.compactMap { event -> Alert? in
            if case .alert(let alert) = event { return alert } else { return nil }
        }
        #expect(alerts.map(\.severity) == [.warning, .critical])
        #expect(alerts.first?.message.hasPrefix("openai hourly quota at 80 %") == true)
        // Every settle also reports the lines it moved, for the console's spend panel.
        let lines = published.compactMap { event -> QuotaChanged? in
            if case .quotaChanged(let line) = event { return line } else { return nil }
        }
        #expect(lines.count == 30)
        let lastHourly = lines.last { $0.provider == "openai" && $0.window == .hourly }
        #expect(abs((lastHourly?.spentUSD ?? 0) - 1.0) < 1e-9 && lastHourly?.limitUSD == 1)
        #expect(lines.last { $0.provider == nil }?.limitUSD == 100)
    }
}
