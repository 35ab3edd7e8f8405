public import Foundation
import GRDB

/// A claim on budget for one provider attempt in flight, kept in the database so that every
/// process on the file counts it.
///
/// A reservation is checked and inserted in one write transaction (``SQLiteStore/reserveBudget(_:decide:)``),
/// and replaced by its attempt's usage row in another (the write-behind queue's batch deletes it
/// as it inserts the row), so another process always sees one of the two, never neither and never
/// both. Rows whose process is gone are turned into estimated usage rows
/// (``SQLiteStore/settleAbandonedReservations(_:at:)``): an attempt killed mid-stream is paid for.
public struct BudgetReservationRow: Sendable, Hashable {
    /// The row's id (0 before it is inserted).
    public var id: Int64
    /// The ledger that made it (one per process, random).
    public var owner: String
    public var processID: Int32
    public var requestID: String
    public var conversationID: String?
    public var userID: String?
    public var provider: String
    public var model: String
    public var amountUSD: Double
    public var createdAt: Date

    public init(id: Int64 = 0, owner: String, processID: Int32, requestID: String, conversationID: String?, userID: String?, provider: String, model: String, amountUSD: Double, createdAt: Date) {
        self.id = id
        self.owner = owner
        self.processID = processID
        self.requestID = requestID
        self.conversationID = conversationID
        self.userID = userID
        self.provider = provider
        self.model = model
        self.amountUSD = amountUSD
        self.createdAt = createdAt
    }
}

/// What a budget decision is made on, read in one transaction: the spend committed since the
/// reader's last read (or the windows summed whole), and the reservations of every other ledger.
public struct BudgetReading: Sendable {
    public enum Spend: Sendable {
        /// Both windows summed from scratch (the first read, or a window rolled over).
        case whole(hour: SpendTotals, day: SpendTotals)
        /// The spend rows with an id above the one asked for, with their ids, oldest first.
        case added([(id: Int64, row: SpendRow)])
    }

    /// What the reader asks for: the windows to sum whole, or the id after which rows are new.
    public enum Plan: Sendable, Hashable {
        case whole(hourStart: Date, dayStart: Date)
        case added(after: Int64)
    }

    public var spend: Spend
    /// The newest usage row the spend includes.
    public var lastUsageID: Int64
    /// Every reservation in the file but the reader's own.
    public var othersReservations: [BudgetReservationRow]
}

extension SQLiteStore {
    /// Reads what a budget decision needs (`plan`) without reserving anything.
    public func budgetReading(_ plan: BudgetReading.Plan, owner: String) throws(StoreError) -> BudgetReading {
        try read { db in try Self.budgetReading(plan, owner: owner, in: db) }
    }

    /// Reads what a budget decision needs and lets `decide` make it, in one write transaction: no
    /// other process can spend or reserve in between. `decide` returns the reservation to insert,
    /// or nil to insert nothing; the inserted row's id is returned.
    public func reserveBudget(_ plan: BudgetReading.Plan, owner: String, decide: (BudgetReading) -> BudgetReservationRow?) throws(StoreError) -> Int64? {
        try write { db in
            guard let row = decide(try Self.budgetReading(plan, owner: owner, in: db)) else { return nil }
            try db.cachedStatement(sql: """
                INSERT INTO budget_reservations (owner, pid, request_id, conversation_id, user_id, provider, model, amount_usd, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [
                    row.owner, Int64(row.processID), row.requestID, row.conversationID, row.userID, row.provider, row.model,
                    row.amountUSD, StoredValues.value(row.createdAt),
                ])
            return db.lastInsertedRowID
        }
    }

    /// Deletes reservations (released, or settled by a usage row written without the queue).
    public func deleteReservations(_ ids: [Int64]) throws(StoreError) {
        guard !ids.isEmpty else { return }
        try write { db in try Self.deleteReservations(ids, in: db) }
    }

    /// Appends a usage row and deletes the reservation it settles, in one transaction.
    public func recordUsage(_ record: UsageRecord, settling reservation: Int64?) throws(StoreError) {
        try write { db in
            try Self.insert(record, in: db)
            if let reservation { try Self.deleteReservations([reservation], in: db) }
        }
    }

    /// Turns `abandoned` reservations (of processes that are gone) into usage rows charging what
    /// was reserved, estimated, with outcome `interrupted`; returns the rows it settled. A row
    /// settled meanwhile is skipped (matched by id and owner: a plain rowid may be reused).
    @discardableResult
    public func settleAbandonedReservations(_ abandoned: [BudgetReservationRow], at now: Date) throws(StoreError) -> [BudgetReservationRow] {
        guard !abandoned.isEmpty else { return [] }
        let owners = Dictionary(abandoned.map { ($0.id, $0.owner) }, uniquingKeysWith: { first, _ in first })
        return try write { db in
            let rows = try Self.reservations(
                sql: "SELECT * FROM budget_reservations WHERE id IN (\(Self.placeholders(owners.count)))", arguments: StatementArguments(Array(owners.keys)), in: db
            ).filter { owners[$0.id] == $0.owner }
            try Self.insert(rows.map { row in
                UsageRecord(
                    requestID: row.requestID, conversationID: row.conversationID, userID: row.userID, provider: row.provider, model: row.model,
                    costUSD: row.amountUSD, costEstimated: true, outcome: .interrupted, errorKind: "interrupted", createdAt: now)
            }, in: db)
            try Self.deleteReservations(rows.map(\.id), in: db)
            return rows
        }
    }

    /// Every reservation in the file (for `stats` and tests).
    public func budgetReservations() throws(StoreError) -> [BudgetReservationRow] {
        try read { db in try Self.reservations(sql: "SELECT * FROM budget_reservations ORDER BY id", arguments: [], in: db) }
    }

    static func deleteReservations(_ ids: [Int64], in db: Database) throws {
        guard !ids.isEmpty else { return }
        try db.execute(sql: "DELETE FROM budget_reservations WHERE id IN (\(placeholders(ids.count)))", arguments: StatementArguments(ids))
    }

    private static func budgetReading(_ plan: BudgetReading.Plan, owner: String, in db: Database) throws -> BudgetReading {
        // Statements cached: every request makes a reservation.
        let lastID = try Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(id) FROM usage")) ?? 0
        let spend: BudgetReading.Spend
        switch plan {
        case .whole(let hourStart, let dayStart):
            spend = .whole(hour: try Self.spend(since: hourStart, upTo: lastID, in: db), day: try Self.spend(since: dayStart, upTo: lastID, in: db))
        case .added(let after):
            spend = .added(try Row.fetchAll(
                db.cachedStatement(sql: "SELECT id, provider, user_id, cost_usd, created_at FROM usage WHERE id > ? AND id <= ? AND cache_hit = 0 ORDER BY id"), arguments: [after, lastID]
            ).map { (id: $0["id"], row: SpendRow(provider: $0["provider"], userID: $0["user_id"], costUSD: $0["cost_usd"], createdAt: $0["created_at"])) })
        }
        let others = try reservations(sql: "SELECT * FROM budget_reservations WHERE owner != ?", arguments: [owner], cached: true, in: db)
        return BudgetReading(spend: spend, lastUsageID: lastID, othersReservations: others)
    }

    private static func reservations(sql: String, arguments: StatementArguments, cached: Bool = false, in db: Database) throws -> [BudgetReservationRow] {
        let statement = cached ? try db.cachedStatement(sql: sql) : try db.makeStatement(sql: sql)
        return try Row.fetchAll(statement, arguments: arguments).map { row in
            BudgetReservationRow(
                id: row["id"], owner: row["owner"], processID: Int32(truncatingIfNeeded: row["pid"] as Int64), requestID: row["request_id"],
                conversationID: row["conversation_id"], userID: row["user_id"], provider: row["provider"], model: row["model"],
                amountUSD: row["amount_usd"], createdAt: row["created_at"])
        }
    }

    private static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ", ")
    }
}
