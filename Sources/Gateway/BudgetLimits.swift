public import Core
import Foundation
public import Store
import Synchronization

/// Spend limits in USD: per provider per UTC hour and day, across providers per day, per user per day.
public struct BudgetLimits: Sendable, Hashable {
    public var defaultHourly: Double
    public var defaultDaily: Double
    /// Operators' per-provider overrides.
    public var providerHourly: [String: Double]
    public var providerDaily: [String: Double]
    public var globalDaily: Double
    /// `nil`: no per-user limit.
    public var userDaily: Double?

    public init(defaultHourly: Double, defaultDaily: Double, providerHourly: [String: Double] = [:], providerDaily: [String: Double] = [:], globalDaily: Double, userDaily: Double?) {
        self.defaultHourly = defaultHourly
        self.defaultDaily = defaultDaily
        self.providerHourly = providerHourly
        self.providerDaily = providerDaily
        self.globalDaily = globalDaily
        self.userDaily = userDaily
    }

    /// The configured limits with the operator's persisted overrides.
    public init(settings: QuotaSettings, overrides: [String: ProviderOverrides]) {
        self.init(
            defaultHourly: settings.hourlyUSD, defaultDaily: settings.dailyUSD,
            providerHourly: overrides.compactMapValues(\.hourlyQuotaUSD), providerDaily: overrides.compactMapValues(\.dailyQuotaUSD),
            globalDaily: settings.globalDailyUSD, userDaily: settings.userDailyUSD > 0 ? settings.userDailyUSD : nil)
    }

    public func hourly(_ provider: String) -> Double { providerHourly[provider] ?? defaultHourly }
    public func daily(_ provider: String) -> Double { providerDaily[provider] ?? defaultDaily }
}

/// What is left to spend for a request, in USD.
public struct Headroom: Sendable, Hashable {
    public var providerHourly: Double
    public var providerDaily: Double
    public var global: Double
    public var user: Double?
}
