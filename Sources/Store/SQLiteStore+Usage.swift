public import Foundation
import GRDB

/// One provider attempt (or cache hit, or refusal): the ledger budgets are summed from and the
/// source of stats.
public struct UsageRecord: Sendable, Hashable {
    public enum Outcome: String, Sendable, Hashable {
        case ok, error, cacheHit = "cache_hit", refused
        /// The process died during the attempt: charged what was reserved, estimated.
        case interrupted
    }

    public var requestID: String
    public var conversationID: String?
    public var userID: String?
    public var provider: String
    public var model: String
    public var promptTokens: Int
    public var outputTokens: Int
    public var cacheReadTokens: Int
    public var cacheWriteTokens: Int
    public var costUSD: Double
    public var costEstimated: Bool
    public var latencyMilliseconds: Int?
    public var timeToFirstTokenMilliseconds: Int?
    public var cacheHit: Bool
    public var routeReason: String?
    public var outcome: Outcome
    public var errorKind: String?
    public var createdAt: Date

    public init(requestID: String, conversationID: String? = nil, userID: String? = nil, provider: String, model: String, promptTokens: Int = 0, outputTokens: Int = 0, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0, costUSD: Double = 0, costEstimated: Bool = false, latencyMilliseconds: Int? = nil, timeToFirstTokenMilliseconds: Int? = nil, cacheHit: Bool = false, routeReason: String? = nil, outcome: Outcome, errorKind: String? = nil, createdAt: Date) {
        self.requestID = requestID
        self.conversationID = conversationID
        self.userID = userID
        self.provider = provider
        self.model = model
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.costUSD = costUSD
        self.costEstimated = costEstimated
        self.latencyMilliseconds = latencyMilliseconds
        self.timeToFirstTokenMilliseconds = timeToFirstTokenMilliseconds
        self.cacheHit = cacheHit
        self.routeReason = routeReason
        self.outcome = outcome
        self.errorKind = errorKind
        self.createdAt = createdAt
    }
}

/// Settled spend since the start of a window, by provider, in total, and for one user.
public struct SpendTotals: Sendable, Hashable {
    public var byProvider: [String: Double]
    public var total: Double
    public var byUser: [String: Double]

    public init(byProvider: [String: Double] = [:], total: Double = 0, byUser: [String: Double] = [:]) {
        self.byProvider = byProvider
        self.total = total
        self.byUser = byUser
    }
}

/// What one usage row spent, and for whom.
public struct SpendRow: Sendable, Hashable {
    public var provider: String
    public var userID: String?
    public var costUSD: Double
    public var createdAt: Date

    public init(provider: String, userID: String?, costUSD: Double, createdAt: Date) {
        self.provider = provider
        self.userID = userID
        self.costUSD = costUSD
        self.createdAt = createdAt
    }

    /// What `record` spent, and for whom.
    public init(_ record: UsageRecord) {
        self.init(provider: record.provider, userID: record.userID, costUSD: record.costUSD, createdAt: record.createdAt)
    }
}

extension SQLiteStore {
    /// Appends a usage row.
    public func recordUsage(_ record: UsageRecord) throws(StoreError) {
        try write { db in try Self.insert(record, in: db) }
    }

    static func insert(_ record: UsageRecord, in db: Database) throws {
        try insert(CollectionOfOne(record), in: db)
    }

    /// Appends usage rows, several a statement.
    static func insert(_ records: some Collection<UsageRecord>, in db: Database) throws {
        try insertRows(records, statements: usageInserts, in: db) { record, values in
            values.append(record.requestID.databaseValue)
            values.append(StoredValues.value(record.conversationID))
            values.append(StoredValues.value(record.userID))
            values.append(record.provider.databaseValue)
            values.append(record.model.databaseValue)
            values.append(record.promptTokens.databaseValue)
            values.append(record.outputTokens.databaseValue)
            values.append(record.cacheReadTokens.databaseValue)
            values.append(record.cacheWriteTokens.databaseValue)
            values.append(record.costUSD.databaseValue)
            values.append(record.costEstimated.databaseValue)
            values.append(StoredValues.value(record.latencyMilliseconds))
            values.append(StoredValues.value(record.timeToFirstTokenMilliseconds))
            values.append(record.cacheHit.databaseValue)
            values.append(StoredValues.value(record.routeReason))
            values.append(record.outcome.rawValue.databaseValue)
            values.append(StoredValues.value(record.errorKind))
            values.append(StoredValues.value(record.createdAt))
        }
    }

    private static let usageInserts = InsertStatements(
        table: "usage",
        columns: """
            request_id, conversation_id, user_id, provider, model, input_tokens, output_tokens, cache_read_tokens, \
            cache_write_tokens, cost_usd, cost_estimated, latency_ms, ttft_ms, cache_hit, route_reason, outcome, error_kind, created_at
            """,
        row: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")

    /// Settled spend since `start` (cache hits cost nothing and are left out).
    public func spend(since start: Date) throws(StoreError) -> SpendTotals {
        try read { db in try Self.spend(since: start, upTo: .max, in: db) }
    }

    /// Spend per provider and per user since a time (`?`), in the rows up to an id (`?`).
    static let spendByProviderSQL = "SELECT provider, SUM(cost_usd) AS spent FROM usage WHERE created_at >= ? AND cache_hit = 0 AND +id <= ? GROUP BY provider"
    static let spendByUserSQL = "SELECT user_id, SUM(cost_usd) AS spent FROM usage WHERE created_at >= ? AND cache_hit = 0 AND user_id IS NOT NULL AND +id <= ? GROUP BY user_id"

    /// Spend since `start` in the rows up to id `lastID`.
    ///
    /// `+id` keeps SQLite off the primary key for the id bound (it would read every row up to
    /// `lastID`, all of history): the time index narrows the rows to the window.
    static func spend(since start: Date, upTo lastID: Int64, in db: Database) throws -> SpendTotals {
        var totals = SpendTotals()
        for row in try Row.fetchAll(db, sql: spendByProviderSQL, arguments: [start, lastID]) {
            let spent: Double = row["spent"] ?? 0
            totals.byProvider[row["provider"]] = spent
            totals.total += spent
        }
        for row in try Row.fetchAll(db, sql: spendByUserSQL, arguments: [start, lastID]) {
            totals.byUser[row["user_id"]] = row["spent"] ?? 0
        }
        return totals
    }

    /// The most recent usage rows, newest first.
    public func recentUsage(limit: Int) throws(StoreError) -> [UsageRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM usage ORDER BY id DESC LIMIT ?", arguments: [limit]).map(Self.usageRecord) }
    }

    /// The usage rows of one request (one per attempt), in the order the attempts ended (not by
    /// id: the answer's row is written with the answer, a failed attempt's behind the request).
    public func usage(ofRequest request: String) throws(StoreError) -> [UsageRecord] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM usage WHERE request_id = ? ORDER BY created_at, id", arguments: [request]).map(Self.usageRecord) }
    }

    static func usageRecord(_ row: Row) -> UsageRecord {
        UsageRecord(
            requestID: row["request_id"], conversationID: row["conversation_id"], userID: row["user_id"],
            provider: row["provider"], model: row["model"], promptTokens: row["input_tokens"], outputTokens: row["output_tokens"],
            cacheReadTokens: row["cache_read_tokens"], cacheWriteTokens: row["cache_write_tokens"],
            costUSD: row["cost_usd"], costEstimated: row["cost_estimated"], latencyMilliseconds: row["latency_ms"],
            timeToFirstTokenMilliseconds: row["ttft_ms"], cacheHit: row["cache_hit"], routeReason: row["route_reason"],
            outcome: UsageRecord.Outcome(rawValue: row["outcome"]) ?? .error, errorKind: row["error_kind"], createdAt: row["created_at"])
    }
}
