public import Providers

/// A provider's usage report bounded by what the request could have used.
///
/// Spend is summed from these figures, so a provider (or a proxy in front of one) that reports a
/// negative count, `Int.max`, or more cached tokens than the prompt must not lift a quota, block a
/// provider for the day or price fifteen tokens at dollars. Each count is kept within what was
/// reserved for the request — the prompt as estimated with its safety margin and the output the
/// request allowed — so a settled cost never exceeds its reservation; a count that had to be changed
/// marks the usage as estimated.
public enum UsageCheck {
    /// The most a request could have used.
    public struct Bounds: Sendable, Hashable {
        /// The prompt tokens reserved for (the estimate with ``TokenEstimator/safetyMargin``).
        public var promptTokens: Int
        /// The output tokens the request allowed.
        public var outputTokens: Int

        public init(promptTokens: Int, outputTokens: Int) {
            self.promptTokens = promptTokens
            self.outputTokens = outputTokens
        }
    }

    /// `reported` with every count in its bounds; `estimate` stands in for a negative prompt or
    /// output count. Marked estimated when anything was changed.
    public static func checked(_ reported: TokenUsage, within bounds: Bounds, estimate: TokenUsage) -> TokenUsage {
        var changed = false
        func bounded(_ value: Int, instead fallback: Int, limit: Int) -> Int {
            let limit = max(0, limit)
            if value < 0 {
                changed = true
                return min(max(0, fallback), limit)
            }
            if value > limit {
                changed = true
                return limit
            }
            return value
        }
        var usage = reported
        usage.promptTokens = bounded(reported.promptTokens, instead: estimate.promptTokens, limit: bounds.promptTokens)
        usage.outputTokens = bounded(reported.outputTokens, instead: estimate.outputTokens, limit: bounds.outputTokens)
        // Cached tokens are a subset of the prompt.
        usage.cacheReadTokens = bounded(reported.cacheReadTokens, instead: 0, limit: usage.promptTokens)
        usage.cacheWriteTokens = bounded(reported.cacheWriteTokens, instead: 0, limit: usage.promptTokens - usage.cacheReadTokens)
        usage.isEstimated = reported.isEstimated || changed
        return usage
    }
}

/// Notices a stream that goes on past the request's `max_tokens` (a misbehaving upstream), so
/// that it is cut instead of read — and paid for — to the end.
///
/// A token is at least one byte, so nothing is estimated until the text has more bytes than the
/// limit allows tokens; then the estimate is taken every ``checkEvery`` bytes. The limit has a
/// margin (``margin``) over `max_tokens`: the estimate can be off, and an answer that merely
/// reaches its maximum must never be cut.
struct RunawayCheck {
    static let margin = 1.5
    static let checkEvery = 512

    let limit: Int
    let encoding: TokenEncoding
    private var nextCheckAtBytes: Int

    init(maxOutputTokens: Int, encoding: TokenEncoding) {
        limit = Int(Double(maxOutputTokens) * Self.margin) + 16
        self.encoding = encoding
        nextCheckAtBytes = limit
    }

    mutating func isPastLimit(_ text: String) -> Bool {
        let bytes = text.utf8.count
        guard bytes > nextCheckAtBytes else { return false }
        nextCheckAtBytes = bytes + Self.checkEvery
        return TokenEstimator.tokens(in: text, encoding: encoding) > limit
    }
}
