public import Core
import Foundation
public import Providers
public import Store

/// A request to the Gateway: the messages to send and how much the answer matters.
public struct GatewayRequest: Sendable {
    public var id: RequestID
    public var conversation: ConversationID?
    /// The person asking (per-user budget); `nil` for the operator and the command line.
    public var user: String?
    public var messages: [ChatMessage]
    public var priority: RequestPriority
    public var maxOutputTokens: Int
    public var temperature: Double?
    /// Stream deltas as they arrive (otherwise one call for the whole answer).
    public var streaming: Bool
    /// Only this provider (`switchboard chat --provider`).
    public var provider: String?
    /// Only this model (`switchboard chat --model`), with no fallback to others.
    public var model: String?
    /// The caller stores the answer together with its usage row (``GatewayResult/unsavedUsage``)
    /// in one transaction and then calls ``Gateway/finish(_:of:saved:)``, which announces it: the
    /// Assistant, so that an answer on the bus is an answer in the database with its cost.
    public var callerSavesAnswer: Bool
    /// Builds the messages again for a fallback model whose window or tokenizer differ from those
    /// of the model they were built for (the Assistant fits memory to the routed model's window).
    public var refit: (@Sendable (ModelEntry) -> [ChatMessage])?

    public init(id: RequestID = .make(), conversation: ConversationID? = nil, user: String? = nil, messages: [ChatMessage], priority: RequestPriority = .normal, maxOutputTokens: Int = 1024, temperature: Double? = nil, streaming: Bool = true, provider: String? = nil, model: String? = nil, callerSavesAnswer: Bool = false, refit: (@Sendable (ModelEntry) -> [ChatMessage])? = nil) {
        self.id = id
        self.conversation = conversation
        self.user = user
        self.messages = messages
        self.priority = priority
        self.maxOutputTokens = maxOutputTokens
        self.temperature = temperature
        self.streaming = streaming
        self.provider = provider
        self.model = model
        self.callerSavesAnswer = callerSavesAnswer
        self.refit = refit
    }
}

/// What the Gateway tells its caller while it answers.
public enum GatewayEvent: Sendable {
    /// The model was chosen.
    case routed(RouteDecision)
    /// More of the answer.
    case delta(String)
    /// The provider failed after text was shown; the answer starts again on another model.
    case restarted(reason: String)
    /// The end: the whole answer (or the friendly fallback, with `hadErrors`).
    case completed(GatewayResult)
}

/// How a request ended.
public struct GatewayResult: Sendable {
    /// The answer, or a friendly fallback message when every model failed.
    public var text: String
    public var provider: String
    public var model: String
    public var usage: TokenUsage
    public var costUSD: Double
    /// The model is not in the catalog, so the cost is unknown (shown as such, not as $0).
    public var costKnown: Bool
    public var fromCache: Bool
    /// `true` when no model answered and `text` is the fallback message.
    public var hadErrors: Bool
    /// What went wrong on the way (also when a fallback model answered in the end).
    public var errorDetails: [String]
    public var routeReason: String
    public var latency: Duration
    public var timeToFirstToken: Duration?
    /// Whether the offline demo provider answered.
    public var isDemo: Bool
    /// The answer's usage row, for a request with ``GatewayRequest/callerSavesAnswer``: counted in
    /// the budgets already, not yet in the database.
    public var unsavedUsage: UnsavedUsage? = nil
}

/// A usage row the caller writes with the answer, and the reservation row it replaces.
public struct UnsavedUsage: Sendable {
    public var record: UsageRecord
    public var reservationRow: Int64?
}
