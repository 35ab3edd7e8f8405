public import Providers

/// When to try the same provider again, and after how long: exponential backoff with full
/// jitter, never shorter than the provider's `Retry-After`, always inside the request's deadline.
public struct RetryPolicy: Sendable, Hashable {
    /// Calls to one provider for one request, the first included.
    public var maxAttemptsPerProvider: Int
    public var baseDelay: Duration
    public var maxDelay: Duration

    public init(maxAttemptsPerProvider: Int = 2, baseDelay: Duration = .milliseconds(500), maxDelay: Duration = .seconds(8)) {
        self.maxAttemptsPerProvider = maxAttemptsPerProvider
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
    }

    /// The wait before attempt `attempt` (1 = the first retry) after `error`, or `nil` when the same
    /// provider should not be tried again: not retryable, out of attempts, or the wait would pass
    /// `remaining`. `random` is in 0..<1 (injected so tests are exact).
    public func delay(after error: ProviderError, attempt: Int, remaining: Duration, random: Double) -> Duration? {
        guard error.isRetryable, attempt < maxAttemptsPerProvider else { return nil }
        let exponential = min(maxDelay, baseDelay * (1 << min(attempt - 1, 16)))
        var wait = exponential * random
        if let retryAfter = error.retryAfter {
            wait = max(wait, .milliseconds(Int(retryAfter * 1000)))
        }
        return wait < remaining ? wait : nil
    }
}
