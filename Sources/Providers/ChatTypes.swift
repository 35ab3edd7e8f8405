/// One message of a conversation as sent to a model.
public struct ChatMessage: Sendable, Hashable, Codable {
    /// Who wrote it.
    public enum Role: String, Sendable, Hashable, Codable {
        case system, user, assistant
    }

    public var role: Role
    public var content: String

    /// Creates a message.
    public init(role: Role, content: String) {
        self.role = role
        self.content = content
    }

    /// A system message.
    public static func system(_ content: String) -> ChatMessage { ChatMessage(role: .system, content: content) }
    /// A user message.
    public static func user(_ content: String) -> ChatMessage { ChatMessage(role: .user, content: content) }
    /// An assistant message.
    public static func assistant(_ content: String) -> ChatMessage { ChatMessage(role: .assistant, content: content) }
}

/// What to ask a model.
public struct ChatRequest: Sendable, Hashable {
    /// The provider's model id.
    public var model: String
    /// The conversation, oldest first; system messages are lifted out where the wire format needs it.
    public var messages: [ChatMessage]
    /// The most output tokens to generate.
    public var maxOutputTokens: Int
    /// Sampling temperature, when not the provider's default.
    public var temperature: Double?

    /// Creates a request.
    public init(model: String, messages: [ChatMessage], maxOutputTokens: Int = 1024, temperature: Double? = nil) {
        self.model = model
        self.messages = messages
        self.maxOutputTokens = maxOutputTokens
        self.temperature = temperature
    }
}

/// Tokens a request used, as the provider reported them (or estimated, when it did not).
public struct TokenUsage: Sendable, Hashable, Codable {
    /// All prompt tokens, cached ones included.
    public var promptTokens: Int
    /// Generated tokens.
    public var outputTokens: Int
    /// Prompt tokens read from the provider's prompt cache (a subset of `promptTokens`).
    public var cacheReadTokens: Int
    /// Prompt tokens written to the provider's prompt cache (a subset of `promptTokens`).
    public var cacheWriteTokens: Int
    /// `true` when the provider sent no usage and these are local estimates.
    public var isEstimated: Bool

    /// Creates usage figures.
    public init(promptTokens: Int, outputTokens: Int, cacheReadTokens: Int = 0, cacheWriteTokens: Int = 0, isEstimated: Bool = false) {
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.cacheReadTokens = cacheReadTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.isEstimated = isEstimated
    }

    /// Prompt tokens billed at the plain input price.
    public var uncachedPromptTokens: Int { max(0, promptTokens - cacheReadTokens - cacheWriteTokens) }
}

/// Why a model stopped generating.
public enum StopReason: String, Sendable, Hashable, Codable {
    case endTurn = "end_turn"
    case maxTokens = "max_tokens"
    case contentFilter = "content_filter"
    case stopSequence = "stop_sequence"
    case other
}

/// One element of a streamed answer: text as it arrives, then exactly one `finished`.
public enum ChatStreamEvent: Sendable, Hashable {
    case delta(String)
    case finished(usage: TokenUsage, stopReason: StopReason)
}

/// A complete answer.
public struct ChatResponse: Sendable, Hashable {
    public var text: String
    public var model: String
    public var usage: TokenUsage
    public var stopReason: StopReason

    /// Creates a response.
    public init(text: String, model: String, usage: TokenUsage, stopReason: StopReason) {
        self.text = text
        self.model = model
        self.usage = usage
        self.stopReason = stopReason
    }
}

/// Text cut for streaming: each word with the spaces or newline after it, so that joining the
/// pieces gives the text back exactly.
public enum StreamChunks {
    public static func words(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " || character == "\n" {
                words.append(current)
                current = ""
            }
        }
        if !current.isEmpty { words.append(current) }
        return words
    }
}
