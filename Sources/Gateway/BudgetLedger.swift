public import Core
public import Foundation
public import Store
import Synchronization

/// The budgets: reserve before a call, settle after, from a ledger that survives restarts and is
/// shared by every process on the database.
///
/// Settled spend lives in the `usage` table and is summed per UTC calendar window (the hour from
/// :00, the day from 00:00). Reservations in flight live in `budget_reservations`: `reserve` reads
/// the spend committed since its last read and every other process's reservations, checks the
/// limits and inserts its own row, all in one write transaction, so the bot, `chat` and the console
/// never overspend together (nor do concurrent requests in one process). A settled attempt's usage
/// row replaces its reservation in one transaction (written behind the request). Reservations of a
/// process that died (kill -9 mid-stream, or a settled row still queued) become usage rows charging
/// what was reserved, marked estimated, outcome `interrupted`: a paid attempt is never lost.
///
/// Between reservations the sums are cached and re-read every ``refreshInterval`` (for routing's
/// headroom and the console). Crossing 80 % and 100 % of a limit publishes an alert once per window.
public final class BudgetLedger: Sendable {
    /// A claim on budget for one call; settle or release it exactly once.
    public struct Reservation: Sendable, Hashable {
        public let id: UInt64
        /// Its row in `budget_reservations`.
        public let row: Int64
        public let provider: String
        public let user: String?
        public let amount: Double
    }

    /// What the attempt a reservation is for is: kept with the reservation, so that an attempt
    /// whose process dies is charged to the right request, conversation and model.
    public struct Attempt: Sendable, Hashable {
        public var requestID: String
        public var conversationID: String?
        public var model: String

        public init(requestID: String = "", conversationID: String? = nil, model: String = "") {
            self.requestID = requestID
            self.conversationID = conversationID
            self.model = model
        }
    }

    struct State {
        var limits: BudgetLimits
        var hourStart: Date = .distantPast
        var dayStart: Date = .distantPast
        var hourSpend = SpendTotals()
        var daySpend = SpendTotals()
        var refreshedAt: Date = .distantPast
        var pending: [UInt64: Reservation] = [:]
        /// The pending reservations summed, kept as they come and go (headroom is asked three
        /// times a request, and summing a hundred reservations each time held the lock long).
        var pendingSums = PendingSums()
        /// Other processes' reservations, as last read.
        var othersReserved = PendingSums()
        var nextID: UInt64 = 0
        var alerted: Set<String> = []
        /// Settled rows handed to the write-behind queue and not yet committed, by request.
        var unflushed: [String: [SpendRow]] = [:]
        /// A database read of the sums is under way (see ``refreshIfDue(now:)``).
        var refreshing = false
        /// The database's own sums for the windows starting at `hourStart` and `dayStart`, through
        /// usage row `storedThrough` (every process's rows; -1 before the first read).
        var storedHour = SpendTotals()
        var storedDay = SpendTotals()
        var storedThrough: Int64 = -1
        /// Rows committed while that read ran.
        var writtenDuringRefresh: [SpendRow] = []
    }

    /// How stale the cached sums may get before the ledger is read again.
    public static let refreshInterval: TimeInterval = 2
    /// A reservation this old is settled as interrupted even if its process seems alive (its id
    /// reused by another): no attempt runs for an hour.
    public static let abandonedAfter: TimeInterval = 3_600
    /// Amounts within a billionth of a dollar are equal: sums of prices drift in floating point
    /// (ten settles of $0.10 make $0.9999999999999999), and that drift must not refuse the last one.
    static let tolerance = 1e-9
    /// Alert thresholds, as fractions of a limit.
    public static let alertThresholds = [0.8, 1.0]

    private let store: SQLiteStore
    private let state: Mutex<State>
    /// This ledger's name on its reservation rows, and its process.
    private let owner = UUID().uuidString
    private let processID = getpid()
    /// When the sums were last read and when they are next due (milliseconds since 1970), kept
    /// outside the lock: every request asks three times, and a refresh is rarely due.
    private let lastRefreshMillis = Atomic<Int64>(.min)
    private let nextRefreshMillis = Atomic<Int64>(.min)
    private let clock: @Sendable () -> Date
    private let bus: EventBus<Event>?
    private let alertsEnabled: Bool
    private let writer: WriteBehindQueue?

    /// A ledger over `store`; `clock` is the time source (a manual one in tests). With a `writer`,
    /// usage rows are written behind the request and counted from memory until committed.
    public init(store: SQLiteStore, limits: BudgetLimits, bus: EventBus<Event>? = nil, alertsEnabled: Bool = true, writer: WriteBehindQueue? = nil, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.store = store
        self.state = Mutex(State(limits: limits))
        self.clock = clock
        self.bus = bus
        self.alertsEnabled = alertsEnabled
        self.writer = writer
        writer?.onWritten { [weak self] records in self?.written(records) }
    }

    /// A row settled with `writtenByCaller` that the caller could not store: it is written
    /// behind like any other (the money was spent either way).
    public func writeBehind(_ record: UsageRecord, settling reservation: Int64?) {
        writer?.enqueue(.usage(record, settling: reservation))
    }

    /// Rows now committed (by the write-behind queue or a caller): from now on the database counts them.
    public func written(_ records: [UsageRecord]) {
        guard !records.isEmpty else { return }
        state.withLock { state in
            for record in records {
                // Only what the sums need is kept (rows of one request that spent alike are
                // interchangeable), and changed in place.
                let row = SpendRow(record)
                guard let index = state.unflushed[record.requestID]?.firstIndex(of: row) else { continue }
                if state.unflushed[record.requestID]?.count == 1 {
                    state.unflushed.removeValue(forKey: record.requestID)
                } else {
                    state.unflushed[record.requestID]?.remove(at: index)
                }
                if state.refreshing { state.writtenDuringRefresh.append(row) }
            }
        }
    }

    /// Replaces the limits (an operator changed a quota).
    public func setLimits(_ limits: BudgetLimits) {
        state.withLock { $0.limits = limits }
    }

    public var limits: BudgetLimits { state.withLock { $0.limits } }

    /// What is left for `provider` and `user` now, pending reservations counted.
    public func headroom(provider: String, user: String?) -> Headroom {
        let now = clock()
        refreshIfDue(now: now)
        return state.withLock { Self.headroom($0, provider: provider, user: user) }
    }

    /// Headroom for every provider at once (for routing).
    public func headroom(providers: [String], user: String?) -> (byProvider: [String: Headroom], global: Double, user: Double?) {
        let now = clock()
        refreshIfDue(now: now)
        return state.withLock { state in
            var byProvider: [String: Headroom] = [:]
            for provider in providers { byProvider[provider] = Self.headroom(state, provider: provider, user: user) }
            let any = Self.headroom(state, provider: "", user: user)
            return (byProvider, any.global, any.user)
        }
    }

    /// Claims `amount` against every limit that applies, or says which limit refuses it.
    ///
    /// One write transaction: the spend committed since the last read and every other process's
    /// reservations are read, the limits checked and the reservation inserted, so that no other
    /// process (nor task) can spend in between. A ledger that cannot be written refuses.
    public func reserve(provider: String, user: String?, amount: Double, for attempt: Attempt = Attempt()) throws(BudgetError) -> Reservation {
        let now = clock()
        let windows = Self.windows(at: now)
        // A read that another's refresh overtook cannot be applied (rare): read again.
        for _ in 0..<3 {
            let plan = state.withLock { Self.plan($0, windows: windows) }
            var refusal: BudgetError?
            var reserved: (id: UInt64, absorbed: Bool)?
            let row: Int64?
            do {
                row = try store.reserveBudget(plan, owner: owner) { reading in
                    state.withLock { state in
                        guard absorb(reading, plan: plan, windows: windows, now: now, into: &state) else {
                            reserved = (0, false)
                            return nil
                        }
                        let room = Self.headroom(state, provider: provider, user: user)
                        // The scope is named only when it refuses (a reservation is made on every request).
                        if amount > room.providerHourly + Self.tolerance {
                            refusal = BudgetError(scope: "\(provider) hourly quota", remaining: room.providerHourly, needed: amount)
                        } else if amount > room.providerDaily + Self.tolerance {
                            refusal = BudgetError(scope: "\(provider) daily quota", remaining: room.providerDaily, needed: amount)
                        } else if amount > room.global + Self.tolerance {
                            refusal = BudgetError(scope: "global daily limit", remaining: room.global, needed: amount)
                        } else if let left = room.user, amount > left + Self.tolerance {
                            refusal = BudgetError(scope: "the user's daily budget", remaining: left, needed: amount)
                        }
                        guard refusal == nil else { return nil }
                        state.nextID += 1
                        let pending = Reservation(id: state.nextID, row: 0, provider: provider, user: user, amount: amount)
                        state.pending[pending.id] = pending
                        state.pendingSums.add(pending, sign: 1)
                        reserved = (pending.id, true)
                        return BudgetReservationRow(
                            owner: owner, processID: processID, requestID: attempt.requestID, conversationID: attempt.conversationID,
                            userID: user, provider: provider, model: attempt.model, amountUSD: amount, createdAt: now)
                    }
                }
            } catch {
                // Nothing was inserted: the claim made in memory goes too.
                if let reserved, reserved.absorbed {
                    state.withLock { Self.removePending(Reservation(id: reserved.id, row: 0, provider: provider, user: user, amount: amount), from: &$0) }
                }
                throw BudgetError(unavailable: error.message, needed: amount)
            }
            if let refusal { throw refusal }
            if let reserved, reserved.absorbed, let row {
                return Reservation(id: reserved.id, row: row, provider: provider, user: user, amount: amount)
            }
        }
        throw BudgetError(unavailable: "the ledger kept changing while it was read; try again", needed: amount)
    }

    /// Gives a reservation back (the call failed before costing anything).
    public func release(_ reservation: Reservation) {
        state.withLock { Self.removePending(reservation, from: &$0) }
        if let writer {
            writer.enqueue(.releaseReservation(reservation.row))
        } else {
            // Should the delete fail, the row is settled as interrupted once this process is gone.
            try? store.deleteReservations([reservation.row])
        }
    }

    /// Records what the call really cost (one usage row, replacing the reservation's row in the
    /// same transaction) and frees the reservation.
    ///
    /// The row is counted in the cached sums at once, so budgets bind on it before any refresh
    /// reads it back; with a write-behind queue it is queued under the ledger's lock. With
    /// `writtenByCaller` (and a write-behind queue) it is not written here: the caller stores it
    /// with the answer in one transaction and then calls ``written(_:)`` (or, when that fails,
    /// ``writeBehind(_:settling:)``). Returns whether the caller must write it.
    @discardableResult
    public func settle(_ reservation: Reservation, record: UsageRecord, writtenByCaller: Bool = false) throws(StoreError) -> Bool {
        let now = clock()
        refreshIfDue(now: now)
        var failure: StoreError?
        let writtenByCaller = writtenByCaller && writer != nil
        if writer == nil {
            // Written before the lock is taken: a reservation holds the database, then the lock.
            do { try store.recordUsage(record, settling: reservation.row) } catch { failure = error }
        }
        let events = state.withLock { (state: inout State) -> [Event] in
            Self.removePending(reservation, from: &state)
            // Counted even when the row cannot be written (a full disk): the money is spent either
            // way, and budgets must keep binding until the next successful refresh.
            state.hourSpend.add(record.costUSD, provider: record.provider, user: record.userID)
            state.daySpend.add(record.costUSD, provider: record.provider, user: record.userID)
            if writtenByCaller {
                state.unflushed[record.requestID, default: []].append(SpendRow(record))
            } else if let writer {
                state.unflushed[record.requestID, default: []].append(SpendRow(record))
                writer.enqueue(.usage(record, settling: reservation.row))
            } else if state.refreshing {
                // A read of the sums under way may have missed it: counted on top until the next.
                state.writtenDuringRefresh.append(SpendRow(record))
            }
            return record.costUSD > 0 ? crossings(&state, provider: record.provider, now: now) : []
        }
        for event in events { bus?.publish(event) }
        if let failure { throw failure }
        return writtenByCaller
    }

    /// Spend and limits per provider and window, and the global line.
    public func snapshot(providers: [String]) -> BudgetSnapshot {
        let now = clock()
        refreshIfDue(now: now)
        return state.withLock { state in
            var lines: [BudgetSnapshot.Line] = []
            for provider in providers {
                let reserved = (state.pendingSums.byProvider[provider] ?? 0) + (state.othersReserved.byProvider[provider] ?? 0)
                lines.append(.init(provider: provider, window: .hourly, spent: state.hourSpend.byProvider[provider] ?? 0, reserved: reserved, limit: state.limits.hourly(provider)))
                lines.append(.init(provider: provider, window: .daily, spent: state.daySpend.byProvider[provider] ?? 0, reserved: reserved, limit: state.limits.daily(provider)))
            }
            let reserved = state.pendingSums.total + state.othersReserved.total
            lines.append(.init(provider: nil, window: .daily, spent: state.daySpend.total, reserved: reserved, limit: state.limits.globalDaily))
            return BudgetSnapshot(lines: lines)
        }
    }

    // MARK: - Internals (under the lock)

    private static func removePending(_ reservation: Reservation, from state: inout State) {
        guard state.pending.removeValue(forKey: reservation.id) != nil else { return }
        // Back to exact zeros whenever nothing is pending, so rounding never accumulates.
        if state.pending.isEmpty { state.pendingSums.reset() } else { state.pendingSums.add(reservation, sign: -1) }
    }

    private static func headroom(_ state: State, provider: String, user: String?) -> Headroom {
        let pendingTotal = state.pendingSums.total + state.othersReserved.total
        let pendingProvider = (state.pendingSums.byProvider[provider] ?? 0) + (state.othersReserved.byProvider[provider] ?? 0)
        let pendingUser = user.flatMap { (state.pendingSums.byUser[$0] ?? 0) + (state.othersReserved.byUser[$0] ?? 0) } ?? 0
        let limits = state.limits
        return Headroom(
            providerHourly: limits.hourly(provider) - (state.hourSpend.byProvider[provider] ?? 0) - pendingProvider,
            providerDaily: limits.daily(provider) - (state.daySpend.byProvider[provider] ?? 0) - pendingProvider,
            global: limits.globalDaily - state.daySpend.total - pendingTotal,
            user: user.flatMap { user in limits.userDaily.map { $0 - (state.daySpend.byUser[user] ?? 0) - pendingUser } })
    }

    /// Brings the window sums and other processes' reservations up to date with the database when
    /// a window has rolled over or the last read is older than ``refreshInterval``.
    ///
    /// The database's sums are kept, with the id of the newest row they include: a refresh reads
    /// only the rows added since (summing a whole busy day's ledger on every refresh would cost
    /// more than the requests it guards), and
    /// the whole window only when it rolls over. The read runs outside the lock, so requests keep
    /// reserving and settling against the current sums meanwhile; one caller reads at a time.
    /// Rows the write-behind queue commits during the read may or may not be in it, so they are
    /// counted on top: a moment's overcount until the next read, never an undercount. Reservations
    /// left by processes that are gone are settled as interrupted attempts here.
    private func refreshIfDue(now: Date) {
        let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
        // Not due, and the clock has not gone back: nothing to do, and no lock taken.
        guard nowMillis >= nextRefreshMillis.load(ordering: .acquiring) || nowMillis < lastRefreshMillis.load(ordering: .acquiring) else { return }
        let windows = Self.windows(at: now)
        let plan: BudgetReading.Plan? = state.withLock { state in
            guard !state.refreshing else { return nil }
            guard windows.hour != state.hourStart || now.timeIntervalSince(state.refreshedAt) >= Self.refreshInterval || now < state.refreshedAt else { return nil }
            state.refreshing = true
            state.writtenDuringRefresh = []
            return Self.plan(state, windows: windows)
        }
        guard let plan else { return }
        // Unreadable (a busy database): the sums held stay (see below) and the next request reads again.
        let reading = try? store.budgetReading(plan, owner: owner)
        let abandoned: [BudgetReservationRow] = state.withLock { state in
            state.refreshing = false
            // Unread (the ledger could not be read): keep the last sums (slightly stale beats unlimited).
            guard let reading, absorb(reading, plan: plan, windows: windows, now: now, into: &state) else {
                state.writtenDuringRefresh = []
                return []
            }
            // Counted in the sums just made; the next read has them.
            state.writtenDuringRefresh = []
            state.refreshedAt = now
            // Due again after the interval, or when the hour rolls over, whichever comes first.
            let nextHour = Int64(((windows.hour.timeIntervalSince1970 + 3_600) * 1000).rounded(.down))
            lastRefreshMillis.store(nowMillis, ordering: .releasing)
            nextRefreshMillis.store(min(nowMillis + Int64(Self.refreshInterval * 1000), nextHour), ordering: .releasing)
            return reading.othersReservations.filter { isAbandoned($0, now: now) }
        }
        // Counted as reservations until the next read finds their usage rows; not settled now
        // (the database refused), they are found again by the next read.
        _ = try? store.settleAbandonedReservations(abandoned, at: now)
    }

    /// Whether `row`'s process is gone (or the row is older than any attempt runs).
    private func isAbandoned(_ row: BudgetReservationRow, now: Date) -> Bool {
        if now.timeIntervalSince(row.createdAt) > Self.abandonedAfter { return true }
        guard row.processID != processID else { return false }  // another ledger in this process
        return kill(row.processID, 0) != 0 && errno == ESRCH
    }

    /// What to read next: the windows whole after a rollover (or the first time), else the rows
    /// after the newest one counted.
    private static func plan(_ state: State, windows: (hour: Date, day: Date)) -> BudgetReading.Plan {
        state.storedThrough < 0 || windows.hour != state.hourStart || windows.day != state.dayStart
            ? .whole(hourStart: windows.hour, dayStart: windows.day) : .added(after: state.storedThrough)
    }

    /// Takes in a reading made to `plan`; false when it cannot apply (another read overtook it
    /// across a window rollover, leaving a gap), and the caller reads again.
    ///
    /// A reading older than what is held (another caller's read got further) leaves the sums as
    /// they are; the other processes' reservations are always taken.
    private func absorb(_ reading: BudgetReading, plan: BudgetReading.Plan, windows: (hour: Date, day: Date), now: Date, into state: inout State) -> Bool {
        switch (reading.spend, plan) {
        case (.whole(let hour, let day), _):
            let sameWindows = state.hourStart == windows.hour && state.dayStart == windows.day
            if !sameWindows || reading.lastUsageID > state.storedThrough {
                (state.storedHour, state.storedDay, state.storedThrough) = (hour, day, reading.lastUsageID)
                state.hourStart = windows.hour
                state.dayStart = windows.day
            }
        case (.added(let rows), .added(let after)):
            guard after <= state.storedThrough, state.hourStart == windows.hour, state.dayStart == windows.day else { return false }
            for (id, row) in rows where id > state.storedThrough {
                if row.createdAt >= state.hourStart { state.storedHour.add(row.costUSD, provider: row.provider, user: row.userID) }
                if row.createdAt >= state.dayStart { state.storedDay.add(row.costUSD, provider: row.provider, user: row.userID) }
            }
            state.storedThrough = max(state.storedThrough, reading.lastUsageID)
        case (.added, .whole):
            return false
        }
        var others = PendingSums()
        for row in reading.othersReservations {
            others.add(Reservation(id: 0, row: row.id, provider: row.provider, user: row.userID, amount: row.amountUSD), sign: 1)
        }
        state.othersReserved = others
        Self.recount(&state)
        return true
    }

    /// The window sums from the database's, plus this process's rows not in the file yet.
    private static func recount(_ state: inout State) {
        var hourSpend = state.storedHour
        var daySpend = state.storedDay
        // Rows still in the write-behind queue are not in the file yet, and rows written during
        // a read may not be in it.
        // (Settled rows are never cache hits: those cost nothing and do not pass through here.)
        for row in state.unflushed.values.joined() + state.writtenDuringRefresh {
            if row.createdAt >= state.hourStart { hourSpend.add(row.costUSD, provider: row.provider, user: row.userID) }
            if row.createdAt >= state.dayStart { daySpend.add(row.costUSD, provider: row.provider, user: row.userID) }
        }
        state.hourSpend = hourSpend
        state.daySpend = daySpend
    }

    private static func windows(at date: Date) -> (hour: Date, day: Date) {
        (windowStart(.hourly, at: date), windowStart(.daily, at: date))
    }

    /// The three lines a settle moved (as `quotaChanged` events, when anyone listens) and any alert
    /// they crossed into, once per line, threshold and window. Nothing is built for a line that
    /// crossed nothing while nobody listens: every request settles.
    private func crossings(_ state: inout State, provider: String, now: Date) -> [Event] {
        let limits = state.limits
        let listening = bus?.hasSubscribers ?? false
        var events: [Event] = []
        func line(_ provider: String?, _ window: QuotaWindow, spent: Double, limit: Double, start: Date) {
            if listening {
                events.append(.quotaChanged(QuotaChanged(provider: provider, window: window, limitUSD: limit, spentUSD: spent)))
            }
            guard alertsEnabled, limit > 0 else { return }
            for threshold in Self.alertThresholds where spent >= limit * threshold - Self.tolerance {
                let key = "\(provider ?? "global")/\(window.rawValue)/\(start.timeIntervalSince1970)/\(threshold)"
                guard state.alerted.insert(key).inserted else { continue }
                let label = provider.map { "\($0) \(window == .hourly ? "hourly" : "daily") quota" } ?? "global daily limit"
                let message = String(format: "%@ at %.0f %% ($%.2f of $%.2f)", label, 100 * spent / limit, spent, limit)
                events.append(.alert(Alert(severity: threshold >= 1 ? .critical : .warning, message: message, at: now)))
            }
        }
        line(provider, .hourly, spent: state.hourSpend.byProvider[provider] ?? 0, limit: limits.hourly(provider), start: state.hourStart)
        line(provider, .daily, spent: state.daySpend.byProvider[provider] ?? 0, limit: limits.daily(provider), start: state.dayStart)
        line(nil, .daily, spent: state.daySpend.total, limit: limits.globalDaily, start: state.dayStart)
        return events
    }

    /// The start of the UTC calendar window containing `date`.
    public static func windowStart(_ window: QuotaWindow, at date: Date) -> Date {
        let seconds = date.timeIntervalSince1970
        let length: Double = window == .hourly ? 3_600 : 86_400
        return Date(timeIntervalSince1970: (seconds / length).rounded(.down) * length)
    }
}

/// Pending reservations summed overall, per provider and per user.
struct PendingSums {
    var total = 0.0
    var byProvider: [String: Double] = [:]
    var byUser: [String: Double] = [:]

    /// Exact zeros again, keeping the tables' storage (emptied on most requests at low load).
    mutating func reset() {
        total = 0
        byProvider.removeAll(keepingCapacity: true)
        byUser.removeAll(keepingCapacity: true)
    }

    mutating func add(_ reservation: BudgetLedger.Reservation, sign: Double) {
        total += sign * reservation.amount
        byProvider[reservation.provider, default: 0] += sign * reservation.amount
        if let user = reservation.user { byUser[user, default: 0] += sign * reservation.amount }
    }
}

extension SpendTotals {
    mutating func add(_ cost: Double, provider: String, user: String?) {
        byProvider[provider, default: 0] += cost
        total += cost
        if let user { byUser[user, default: 0] += cost }
    }
}
