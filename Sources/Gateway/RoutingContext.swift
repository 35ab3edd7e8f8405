public import Core
import Providers
public import Foundation
import Synchronization

/// What the router knows about one provider right now.
public struct ProviderStatus: Sendable, Hashable {
    public var configured: Bool
    public var enabled: Bool
    public var circuit: CircuitState
    /// When an open circuit lets its next probe through.
    public var probeAt: Date?
    /// USD the provider may still spend in this hour and this day (the smaller binds).
    public var hourlyHeadroom: Double
    public var dailyHeadroom: Double

    public init(configured: Bool, enabled: Bool = true, circuit: CircuitState = .closed, probeAt: Date? = nil, hourlyHeadroom: Double = .infinity, dailyHeadroom: Double = .infinity) {
        self.configured = configured
        self.enabled = enabled
        self.circuit = circuit
        self.probeAt = probeAt
        self.hourlyHeadroom = hourlyHeadroom
        self.dailyHeadroom = dailyHeadroom
    }
}

/// Observed behaviour of a model: exponentially weighted averages of latency and errors.
public struct ModelHealth: Sendable, Hashable {
    /// Milliseconds to the first token (or the whole answer when not streamed).
    public var latencyMilliseconds: Double
    /// 0 (never fails) to 1 (always fails).
    public var errorRate: Double

    /// The last failure (nil: unknown, as good as just now).
    public var lastFailureAt: Date?

    public init(latencyMilliseconds: Double, errorRate: Double, lastFailureAt: Date? = nil) {
        self.latencyMilliseconds = latencyMilliseconds
        self.errorRate = errorRate
        self.lastFailureAt = lastFailureAt
    }

    /// Failing more than half the time, and lately: within ``CircuitBreaker/openDuration`` of
    /// the last failure.
    public func isFailing(at date: Date) -> Bool {
        errorRate > 0.5 && (lastFailureAt.map { date.timeIntervalSince($0) < CircuitBreaker.openDuration } ?? true)
    }
}

/// Everything a routing decision depends on, gathered by the Gateway so the router stays pure.
public struct RoutingContext: Sendable {
    public var catalog: [ModelEntry]
    /// By name; a provider not in it is not configured.
    public var providers: [String: ProviderStatus]
    public var health: [String: ModelHealth]
    /// USD left under the global daily limit and the user's daily budget (`nil`: no user budget).
    public var globalHeadroom: Double
    public var userHeadroom: Double?
    public var preferredProvider: String?
    public var preferredModel: String?
    /// The operator's pin (console `:model NAME`).
    public var pinnedModel: String?
    public var now: Date

    public init(catalog: [ModelEntry], providers: [String: ProviderStatus], health: [String: ModelHealth] = [:], globalHeadroom: Double = .infinity, userHeadroom: Double? = nil, preferredProvider: String? = nil, preferredModel: String? = nil, pinnedModel: String? = nil, now: Date) {
        self.catalog = catalog
        self.providers = providers
        self.health = health
        self.globalHeadroom = globalHeadroom
        self.userHeadroom = userHeadroom
        self.preferredProvider = preferredProvider
        self.preferredModel = preferredModel
        self.pinnedModel = pinnedModel
        self.now = now
    }
}
