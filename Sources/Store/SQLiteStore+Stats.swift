public import Foundation
import GRDB

/// Usage since a moment, aggregated for `stats`, `health` and the console.
public struct UsageSummary: Sendable, Hashable {
    public var requests = 0
    public var succeededRequests = 0
    public var attempts = 0
    public var cacheHits = 0
    /// Settled spend (cache hits excluded).
    public var totalCostUSD = 0.0
    /// What cache hits would have cost.
    public var savedUSD = 0.0
    public var averageLatencyMilliseconds: Double?
    public var p95LatencyMilliseconds: Double?
    public var averageTimeToFirstTokenMilliseconds: Double?
    public var costByProvider: [String: Double] = [:]
    public var costByModel: [String: Double] = [:]
    public var errorsByKind: [String: Int] = [:]

    public init() {}

    public var successRate: Double { requests == 0 ? 0 : Double(succeededRequests) / Double(requests) }
    /// Hits among answered requests.
    public var cacheHitRate: Double { succeededRequests == 0 ? 0 : Double(cacheHits) / Double(succeededRequests) }
}

extension SQLiteStore {
    /// Aggregates the usage rows since `start`.
    public func usageSummary(since start: Date) throws(StoreError) -> UsageSummary {
        try read { db in
            var summary = UsageSummary()
            if let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(DISTINCT request_id) AS requests,
                       COUNT(DISTINCT CASE WHEN outcome IN ('ok', 'cache_hit') THEN request_id END) AS succeeded,
                       COUNT(*) AS attempts,
                       SUM(CASE WHEN cache_hit = 1 THEN 1 ELSE 0 END) AS hits,
                       COALESCE(SUM(CASE WHEN cache_hit = 0 THEN cost_usd END), 0) AS cost,
                       COALESCE(SUM(CASE WHEN cache_hit = 1 THEN cost_usd END), 0) AS saved,
                       AVG(CASE WHEN outcome IN ('ok', 'cache_hit') THEN latency_ms END) AS latency,
                       AVG(CASE WHEN outcome = 'ok' THEN ttft_ms END) AS ttft
                FROM usage WHERE created_at >= ?
                """, arguments: [start]) {
                summary.requests = row["requests"]
                summary.succeededRequests = row["succeeded"]
                summary.attempts = row["attempts"]
                summary.cacheHits = row["hits"] ?? 0
                summary.totalCostUSD = row["cost"]
                summary.savedUSD = row["saved"]
                summary.averageLatencyMilliseconds = row["latency"]
                summary.averageTimeToFirstTokenMilliseconds = row["ttft"]
            }
            let latencies = try Int.fetchAll(db, sql: "SELECT latency_ms FROM usage WHERE created_at >= ? AND outcome IN ('ok', 'cache_hit') AND latency_ms IS NOT NULL ORDER BY latency_ms", arguments: [start])
            if !latencies.isEmpty {
                summary.p95LatencyMilliseconds = Double(latencies[min(latencies.count - 1, Int((Double(latencies.count) * 0.95).rounded(.up)) - 1)])
            }
            for row in try Row.fetchAll(db, sql: "SELECT provider, model, SUM(cost_usd) AS cost FROM usage WHERE created_at >= ? AND cache_hit = 0 GROUP BY provider, model", arguments: [start]) {
                let cost: Double = row["cost"] ?? 0
                summary.costByProvider[row["provider"], default: 0] += cost
                summary.costByModel[row["model"], default: 0] += cost
            }
            for row in try Row.fetchAll(db, sql: "SELECT error_kind, COUNT(*) AS n FROM usage WHERE created_at >= ? AND outcome IN ('error', 'interrupted') GROUP BY error_kind", arguments: [start]) {
                summary.errorsByKind[row["error_kind"] ?? "unknown"] = row["n"]
            }
            return summary
        }
    }

    /// Saves a provider's circuit state.
    public func saveCircuitState(_ state: String, for provider: String, at now: Date) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO provider_settings (provider, enabled, updated_at, circuit, circuit_changed_at) VALUES (?, 1, ?, ?, ?)
                    ON CONFLICT(provider) DO UPDATE SET circuit = excluded.circuit, circuit_changed_at = excluded.circuit_changed_at
                    """,
                arguments: [provider, now, state, now])
        }
    }

    /// Every provider's last saved circuit state.
    public func circuitStates() throws(StoreError) -> [String: String] {
        try read { db in
            Dictionary(uniqueKeysWithValues: try Row.fetchAll(db, sql: "SELECT provider, circuit FROM provider_settings").map { ($0["provider"] as String, $0["circuit"] as String) })
        }
    }
}
