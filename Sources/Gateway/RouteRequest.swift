public import Core
public import Providers
import Foundation
import Synchronization

/// The request as the router sees it.
public struct RouteRequest: Sendable, Hashable {
    public var priority: RequestPriority
    /// Estimated prompt tokens per tokenizer family (counts differ a lot between families).
    public var promptTokens: [TokenEncoding: Int]
    public var maxOutputTokens: Int

    public init(priority: RequestPriority, promptTokens: [TokenEncoding: Int], maxOutputTokens: Int) {
        self.priority = priority
        self.promptTokens = promptTokens
        self.maxOutputTokens = maxOutputTokens
    }

    /// The same prompt tokens for every family (tests, or when only one count is known).
    public init(priority: RequestPriority, promptTokens: Int, maxOutputTokens: Int) {
        self.init(priority: priority, promptTokens: Dictionary(uniqueKeysWithValues: TokenEncoding.allCases.map { ($0, promptTokens) }), maxOutputTokens: maxOutputTokens)
    }

    func prompt(for model: ModelEntry) -> Int {
        promptTokens[TokenEncoding.of(model: model.id)] ?? promptTokens.values.max() ?? 0
    }
}
