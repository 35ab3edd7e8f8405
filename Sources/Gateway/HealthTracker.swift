public import Foundation
import Synchronization

/// Observed latency and error rate per model, as exponentially weighted moving averages, and
/// when each last failed.
public final class HealthTracker: Sendable {
    /// Weight of the newest observation.
    public static let smoothing = 0.2

    private let state = Mutex<[String: ModelHealth]>([:])
    private let clock: @Sendable () -> Date

    public init(clock: @escaping @Sendable () -> Date = { Date() }) {
        self.clock = clock
    }

    /// Records a success and its latency (to the first token when streamed).
    public func recordSuccess(model: String, latencyMilliseconds: Double) {
        update(model, latency: latencyMilliseconds, failed: false)
    }

    /// Records a failure.
    public func recordFailure(model: String) {
        update(model, latency: nil, failed: true)
    }

    /// Every model's health now.
    public var snapshot: [String: ModelHealth] { state.withLock { $0 } }

    private func update(_ model: String, latency: Double?, failed: Bool) {
        let alpha = Self.smoothing
        let now = clock()
        state.withLock { all in
            var health = all[model] ?? ModelHealth(latencyMilliseconds: latency ?? 0, errorRate: failed ? 1 : 0)
            if let latency { health.latencyMilliseconds = alpha * latency + (1 - alpha) * health.latencyMilliseconds }
            health.errorRate = alpha * (failed ? 1 : 0) + (1 - alpha) * health.errorRate
            if failed { health.lastFailureAt = now }
            all[model] = health
        }
    }
}
