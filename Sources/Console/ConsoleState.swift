public import Core
public import Foundation

/// A key the operator pressed.
public enum Key: Sendable, Hashable {
    case character(Character)
    case up, down, left, right, tab, backTab, enter, escape, backspace, delete, home, end, pageUp, pageDown
    case controlC
}

/// The panels that take focus, in Tab order.
public enum Panel: String, Sendable, Hashable, CaseIterable {
    case providers, conversations, errors, chat
}

/// What the keyboard is doing.
public enum InputMode: Sendable, Hashable {
    case normal
    case command(String)
    case filter(String)
}

/// One provider row.
public struct ProviderRow: Sendable, Hashable {
    public var name: String
    public var configured: Bool
    public var enabled: Bool
    public var circuit: CircuitState
    public var latencyMilliseconds: Int?

    public init(name: String, configured: Bool, enabled: Bool, circuit: CircuitState, latencyMilliseconds: Int? = nil) {
        self.name = name
        self.configured = configured
        self.enabled = enabled
        self.circuit = circuit
        self.latencyMilliseconds = latencyMilliseconds
    }
}

/// Spend against one limit.
public struct SpendLine: Sendable, Hashable {
    /// `nil` for the global limit.
    public var provider: String?
    public var window: QuotaWindow
    public var spent: Double
    public var limit: Double

    public init(provider: String?, window: QuotaWindow, spent: Double, limit: Double) {
        self.provider = provider
        self.window = window
        self.spent = spent
        self.limit = limit
    }
}

/// One conversation row.
public struct ConversationRow: Sendable, Hashable {
    public var id: ConversationID
    public var channel: String
    public var user: String
    public var lastMessage: String
    public var model: String
    public var costUSD: Double
    public var updatedAt: Date
    public var streaming: Bool

    public init(id: ConversationID, channel: String, user: String, lastMessage: String = "", model: String = "", costUSD: Double = 0, updatedAt: Date, streaming: Bool = false) {
        self.id = id
        self.channel = channel
        self.user = user
        self.lastMessage = lastMessage
        self.model = model
        self.costUSD = costUSD
        self.updatedAt = updatedAt
        self.streaming = streaming
    }
}

/// The stream panel's content for one conversation.
public struct StreamView: Sendable, Hashable {
    public var question: String = ""
    public var answer: String = ""
    public var route: String = ""
    public var footer: String = ""
    public var streaming = false
    public var failed = false

    public init(question: String = "", answer: String = "", route: String = "", footer: String = "", streaming: Bool = false, failed: Bool = false) {
        self.question = question
        self.answer = answer
        self.route = route
        self.footer = footer
        self.streaming = streaming
        self.failed = failed
    }
}

/// One error log line.
public struct ErrorRow: Sendable, Hashable {
    public var at: Date
    public var source: String
    public var message: String

    public init(at: Date, source: String, message: String) {
        self.at = at
        self.source = source
        self.message = message
    }
}

/// What the console reads from the runtime every second, so it is right even if it missed events.
public struct ConsoleSnapshot: Sendable, Hashable {
    public var providers: [ProviderRow]
    public var pinnedModel: String?
    public var spend: [SpendLine]
    public var todaySpend: Double
    public var conversations: [ConversationRow]
    public var errors: [ErrorRow]
    public var cacheHitRate: Double
    public var cacheSavedUSD: Double
    public var cacheEntries: Int
    public var demoMode: Bool
    public var telegram: String

    public init(providers: [ProviderRow] = [], pinnedModel: String? = nil, spend: [SpendLine] = [], todaySpend: Double = 0, conversations: [ConversationRow] = [], errors: [ErrorRow] = [], cacheHitRate: Double = 0, cacheSavedUSD: Double = 0, cacheEntries: Int = 0, demoMode: Bool = false, telegram: String = "off") {
        self.providers = providers
        self.pinnedModel = pinnedModel
        self.spend = spend
        self.todaySpend = todaySpend
        self.conversations = conversations
        self.errors = errors
        self.cacheHitRate = cacheHitRate
        self.cacheSavedUSD = cacheSavedUSD
        self.cacheEntries = cacheEntries
        self.demoMode = demoMode
        self.telegram = telegram
    }
}

/// Everything the screen shows. Changed only by ``ConsoleReducer``.
public struct ConsoleState: Sendable {
    public var width: Int
    public var height: Int
    public var startedAt: Date
    public var now: Date
    public var snapshot = ConsoleSnapshot()
    public var streams: [ConversationID: StreamView] = [:]
    public var selectedConversation: ConversationID?
    public var selection: [Panel: Int] = [:]
    public var filters: [Panel: String] = [:]
    public var focus: Panel = .conversations
    public var mode: InputMode = .normal
    public var chatInput = ""
    public var status: (text: String, isError: Bool)?
    public var alerts: [Alert] = []
    public var showHelp = false
    public var openError: ErrorRow?
    public var confirmingQuit = false
    public var themeName: String
    /// Names offered by completion.
    public var knownModels: [String] = []
    public var knownThemes: [String] = []
    public var personas: [String] = ["professional", "friendly", "casual", "helpful", "auto"]

    public init(width: Int, height: Int, startedAt: Date, themeName: String = "default") {
        self.width = width
        self.height = height
        self.startedAt = startedAt
        self.now = startedAt
        self.themeName = themeName
    }

    /// Whether any answer is being generated (quitting then asks first).
    public var isStreaming: Bool { streams.values.contains { $0.streaming } }

    /// The conversations as listed: newest first, filtered.
    public var visibleConversations: [ConversationRow] {
        let filter = (filters[.conversations] ?? "").lowercased()
        return snapshot.conversations
            .filter { filter.isEmpty || $0.id.rawValue.lowercased().contains(filter) || $0.user.lowercased().contains(filter) || $0.model.lowercased().contains(filter) }
            .sorted { $0.updatedAt > $1.updatedAt }
    }

    /// The error log as listed: newest first, filtered.
    public var visibleErrors: [ErrorRow] {
        let filter = (filters[.errors] ?? "").lowercased()
        return snapshot.errors.filter { filter.isEmpty || $0.message.lowercased().contains(filter) || $0.source.lowercased().contains(filter) }
            .sorted { $0.at > $1.at }
    }

    /// The providers as listed, filtered.
    public var visibleProviders: [ProviderRow] {
        let filter = (filters[.providers] ?? "").lowercased()
        return snapshot.providers.filter { filter.isEmpty || $0.name.contains(filter) }
    }
}
