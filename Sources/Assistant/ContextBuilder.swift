import Gateway
public import Providers

/// What a model is sent for one reply, built inside its context window.
public enum ContextBuilder {
    /// The pieces of a conversation's memory.
    public struct Input: Sendable {
        public var systemPrompt: String
        /// Persona or learned style instructions.
        public var style: String?
        public var facts: [String]
        public var summary: String
        /// Earlier messages, oldest first.
        public var history: [ChatMessage]
        /// The user's new message, sent unchanged as the last turn.
        public var userMessage: String
        public var contextWindow: Int
        /// Tokens kept free for the answer.
        public var answerBudget: Int
        public var encoding: TokenEncoding

        public init(systemPrompt: String, style: String? = nil, facts: [String] = [], summary: String = "", history: [ChatMessage] = [], userMessage: String, contextWindow: Int, answerBudget: Int, encoding: TokenEncoding) {
            self.systemPrompt = systemPrompt
            self.style = style
            self.facts = facts
            self.summary = summary
            self.history = history
            self.userMessage = userMessage
            self.contextWindow = contextWindow
            self.answerBudget = answerBudget
            self.encoding = encoding
        }
    }

    /// The messages to send, and how much of the history made it.
    public struct Output: Sendable {
        public var messages: [ChatMessage]
        public var includedHistory: Int
        public var droppedHistory: Int
        public var promptTokens: Int
        /// Whether the summary or some facts had to be left out to fit.
        public var trimmedMemory: Bool
    }

    /// Builds the context: one system message (prompt, style, facts, summary), then as many of the
    /// newest history messages as fit — whole messages, newest kept first — then the user's message.
    /// When even that does not fit, the summary goes first, then the oldest facts; the user's words
    /// are never cut.
    public static func build(_ input: Input) -> Output {
        func tokens(_ text: String) -> Int { TokenEstimator.tokens(in: text, encoding: input.encoding) + TokenEstimator.perMessageOverhead }
        let available = input.contextWindow - input.answerBudget - TokenEstimator.replyPriming - tokens(input.userMessage)

        var facts = input.facts
        var summary = input.summary
        var system = systemMessage(input.systemPrompt, style: input.style, facts: facts, summary: summary)
        var trimmed = false
        if tokens(system) > available && !summary.isEmpty {
            summary = ""
            trimmed = true
            system = systemMessage(input.systemPrompt, style: input.style, facts: facts, summary: summary)
        }
        while tokens(system) > available && !facts.isEmpty {
            facts.removeFirst()
            trimmed = true
            system = systemMessage(input.systemPrompt, style: input.style, facts: facts, summary: summary)
        }

        var budget = available - tokens(system)
        var kept: [ChatMessage] = []
        for message in input.history.reversed() {
            let cost = tokens(message.content)
            guard cost <= budget else { break }
            budget -= cost
            kept.append(message)
        }
        kept.reverse()
        let messages = [ChatMessage.system(system)] + kept + [.user(input.userMessage)]
        let used = messages.reduce(TokenEstimator.replyPriming) { $0 + tokens($1.content) }
        return Output(messages: messages, includedHistory: kept.count, droppedHistory: input.history.count - kept.count, promptTokens: used, trimmedMemory: trimmed)
    }

    static func systemMessage(_ prompt: String, style: String?, facts: [String], summary: String) -> String {
        var parts = [prompt]
        if let style { parts.append(style) }
        if !facts.isEmpty { parts.append("What you know about the user:\n" + facts.map { "- " + $0 }.joined(separator: "\n")) }
        if !summary.isEmpty { parts.append("Summary of the earlier conversation:\n" + summary) }
        return parts.joined(separator: "\n\n")
    }
}
