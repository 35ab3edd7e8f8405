public import Foundation

/// What happened in the runtime, broadcast on the ``EventBus`` to the console and other observers.
public enum Event: Sendable {
    case messageReceived(MessageReceived)
    case routeDecided(RouteDecided)
    case streamDelta(StreamDelta)
    case streamRestarted(StreamRestarted)
    case responseCompleted(ResponseCompleted)
    case requestFailed(RequestFailed)
    case providerStateChanged(ProviderStateChanged)
    case quotaChanged(QuotaChanged)
    case cacheHit(CacheHit)
    case alert(Alert)
    case errorLogged(ErrorLogged)

    /// Stream deltas are the events a lagging observer may lose: the final text arrives with
    /// `responseCompleted`, and the console can rebuild from a snapshot.
    public var isDroppable: Bool {
        if case .streamDelta = self { return true }
        return false
    }
}

/// A person's message entered the pipeline.
public struct MessageReceived: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    public var channel: Channel
    /// Who sent it, for display (`@ana`, `operator`).
    public var sender: String
    public var text: String
    public var at: Date

    public init(request: RequestID, conversation: ConversationID, channel: Channel, sender: String, text: String, at: Date) {
        self.request = request
        self.conversation = conversation
        self.channel = channel
        self.sender = sender
        self.text = text
        self.at = at
    }
}

/// The router chose a model; `reason` says why, in the operator's words.
public struct RouteDecided: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    public var provider: String
    public var model: String
    public var reason: String

    public init(request: RequestID, conversation: ConversationID, provider: String, model: String, reason: String) {
        self.request = request
        self.conversation = conversation
        self.provider = provider
        self.model = model
        self.reason = reason
    }
}

/// A piece of an answer as it is generated.
public struct StreamDelta: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    public var text: String

    public init(request: RequestID, conversation: ConversationID, text: String) {
        self.request = request
        self.conversation = conversation
        self.text = text
    }
}

/// The answer restarts on another provider after a failure mid-stream: discard the partial text.
public struct StreamRestarted: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    public var reason: String

    public init(request: RequestID, conversation: ConversationID, reason: String) {
        self.request = request
        self.conversation = conversation
        self.reason = reason
    }
}

/// An answer is complete and persisted.
public struct ResponseCompleted: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    public var provider: String
    public var model: String
    public var text: String
    public var inputTokens: Int
    public var outputTokens: Int
    public var costUSD: Double
    public var costIsEstimated: Bool
    public var fromCache: Bool
    public var latency: Duration
    public var timeToFirstToken: Duration?

    public init(request: RequestID, conversation: ConversationID, provider: String, model: String, text: String, inputTokens: Int, outputTokens: Int, costUSD: Double, costIsEstimated: Bool, fromCache: Bool, latency: Duration, timeToFirstToken: Duration?) {
        self.request = request
        self.conversation = conversation
        self.provider = provider
        self.model = model
        self.text = text
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.costUSD = costUSD
        self.costIsEstimated = costIsEstimated
        self.fromCache = fromCache
        self.latency = latency
        self.timeToFirstToken = timeToFirstToken
    }
}

/// A request ended without an answer from any model.
public struct RequestFailed: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    /// The error kind (`rate_limited`, `timeout`…).
    public var kind: String
    /// What went wrong, safe to show an operator (never a key).
    public var message: String

    public init(request: RequestID, conversation: ConversationID, kind: String, message: String) {
        self.request = request
        self.conversation = conversation
        self.kind = kind
        self.message = message
    }
}

/// A circuit breaker's state.
public enum CircuitState: String, Sendable, Hashable, CaseIterable, Codable {
    case closed, open, halfOpen = "half-open"
}

/// A provider was enabled or disabled, or its circuit changed state.
public struct ProviderStateChanged: Sendable, Hashable {
    public var provider: String
    public var enabled: Bool
    public var circuit: CircuitState

    public init(provider: String, enabled: Bool, circuit: CircuitState) {
        self.provider = provider
        self.enabled = enabled
        self.circuit = circuit
    }
}

/// A quota's limit or spend changed. `provider` is `nil` for the global limit.
public struct QuotaChanged: Sendable, Hashable {
    public var provider: String?
    public var window: QuotaWindow
    public var limitUSD: Double
    public var spentUSD: Double

    public init(provider: String?, window: QuotaWindow, limitUSD: Double, spentUSD: Double) {
        self.provider = provider
        self.window = window
        self.limitUSD = limitUSD
        self.spentUSD = spentUSD
    }
}

/// A request was answered from the response cache.
public struct CacheHit: Sendable, Hashable {
    public var request: RequestID
    public var conversation: ConversationID
    public var savedUSD: Double

    public init(request: RequestID, conversation: ConversationID, savedUSD: Double) {
        self.request = request
        self.conversation = conversation
        self.savedUSD = savedUSD
    }
}

/// Something the operator should look at: a quota near or at its limit, all circuits open…
public struct Alert: Sendable, Hashable {
    public enum Severity: String, Sendable, Hashable {
        case info, warning, critical
    }

    public var severity: Severity
    public var message: String
    public var at: Date

    /// Secrets in `message` are scrubbed (see ``Redactor``).
    public init(severity: Severity, message: String, at: Date) {
        self.severity = severity
        self.message = Redactor.shared.scrub(message)
        self.at = at
    }
}

/// An error was recorded in the error log.
public struct ErrorLogged: Sendable, Hashable {
    /// Where it happened (`openai`, `telegram`, `store`…).
    public var source: String
    public var message: String
    /// The request it is about, when it is about one.
    public var request: RequestID?
    public var at: Date

    /// Secrets in `message` are scrubbed (see ``Redactor``).
    public init(source: String, message: String, request: RequestID? = nil, at: Date) {
        self.source = source
        self.message = Redactor.shared.scrub(message)
        self.request = request
        self.at = at
    }
}
