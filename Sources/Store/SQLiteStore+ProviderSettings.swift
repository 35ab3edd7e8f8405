public import Foundation
import GRDB

/// An operator's persisted choices for one provider; `nil` quotas mean "the configured default".
public struct ProviderOverrides: Sendable, Hashable {
    public var enabled: Bool
    public var hourlyQuotaUSD: Double?
    public var dailyQuotaUSD: Double?

    /// Creates overrides.
    public init(enabled: Bool = true, hourlyQuotaUSD: Double? = nil, dailyQuotaUSD: Double? = nil) {
        self.enabled = enabled
        self.hourlyQuotaUSD = hourlyQuotaUSD
        self.dailyQuotaUSD = dailyQuotaUSD
    }
}

extension SQLiteStore {
    /// The operator's overrides, by provider name; a provider not listed has none.
    public func providerOverrides() throws(StoreError) -> [String: ProviderOverrides] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT provider, enabled, hourly_quota_usd, daily_quota_usd FROM provider_settings")
            return Dictionary(uniqueKeysWithValues: rows.map { row in
                (row["provider"] as String,
                 ProviderOverrides(enabled: row["enabled"], hourlyQuotaUSD: row["hourly_quota_usd"], dailyQuotaUSD: row["daily_quota_usd"]))
            })
        }
    }

    /// Saves the overrides of one provider.
    public func saveProviderOverrides(_ overrides: ProviderOverrides, for provider: String, at now: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO provider_settings (provider, enabled, hourly_quota_usd, daily_quota_usd, updated_at)
                    VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT(provider) DO UPDATE SET enabled = excluded.enabled,
                        hourly_quota_usd = excluded.hourly_quota_usd, daily_quota_usd = excluded.daily_quota_usd,
                        updated_at = excluded.updated_at
                    """,
                arguments: [provider, overrides.enabled, overrides.hourlyQuotaUSD, overrides.dailyQuotaUSD, now])
        }
    }
}
