public import Core
public import Foundation
public import Gateway
import Logging
public import Providers
public import Store

/// A message to answer, from any channel.
public struct AssistantRequest: Sendable {
    /// Made at intake and carried by every event, usage row, error-log line and log line of the
    /// answer (`switchboard trace ID`).
    public var id: RequestID
    public var conversation: ConversationID
    public var channel: Channel
    /// Whose personality to learn and whose budget to charge (a Telegram user id); `nil` for the
    /// operator and the command line, whose conversation stands in for them.
    public var userID: String?
    /// How to show the sender (`@ana`, `operator`).
    public var userName: String
    public var text: String
    /// A persona for this reply only (the seed's `personality_style`).
    public var persona: Persona?
    /// A history to use instead of the stored one (the seed's contextual response).
    public var history: [ChatMessage]?
    public var priority: RequestPriority
    public var streaming: Bool
    public var maxOutputTokens: Int

    public init(id: RequestID = .make(), conversation: ConversationID, channel: Channel, userID: String? = nil, userName: String = "user", text: String, persona: Persona? = nil, history: [ChatMessage]? = nil, priority: RequestPriority = .normal, streaming: Bool = true, maxOutputTokens: Int = 1024) {
        self.id = id
        self.conversation = conversation
        self.channel = channel
        self.userID = userID
        self.userName = userName
        self.text = text
        self.persona = persona
        self.history = history
        self.priority = priority
        self.streaming = streaming
        self.maxOutputTokens = maxOutputTokens
    }
}

/// The outcome of one reply, with the seed's field names.
public struct AssistantResult: Sendable {
    public var responseContent: String
    public var modelUsed: String
    public var provider: String
    public var costEstimate: Double
    /// The persona or `adaptive` style applied, if any.
    public var personalityApplied: String?
    public var hadErrors: Bool
    public var errorDetails: [String]
    public var fromCache: Bool
    public var usage: TokenUsage
    public var costKnown: Bool
    public var latency: Duration
    public var timeToFirstToken: Duration?
    public var routeReason: String
    public var isDemo: Bool
}

extension AssistantResult {
    /// A Gateway result in the Assistant's terms.
    public init(_ result: GatewayResult, personalityApplied: String?) {
        self.init(
            responseContent: result.text, modelUsed: result.model, provider: result.provider, costEstimate: result.costUSD,
            personalityApplied: personalityApplied, hadErrors: result.hadErrors, errorDetails: result.errorDetails, fromCache: result.fromCache,
            usage: result.usage, costKnown: result.costKnown, latency: result.latency, timeToFirstToken: result.timeToFirstToken,
            routeReason: result.routeReason, isDemo: result.isDemo)
    }
}

/// What the Assistant tells its caller while it answers.
public enum AssistantEvent: Sendable {
    case routed(RouteDecision)
    case delta(String)
    case restarted(reason: String)
    case completed(AssistantResult)
}

/// The seed's `get_conversation_context`: what a conversation is about and how it goes.
public struct ConversationContext: Sendable, Hashable {
    public var messageCount: Int
    public var sentimentTrend: [Double]
    public var currentPhase: String
    public var currentTopic: String
    public var lastPrunedAt: Date?
    public var keyFacts: [String]
    public var summary: String
    public var persona: String?
}

/// One reply, end to end: memory → personality → Gateway → persist → summarize.
public final class Assistant: Sendable {
    /// The system prompt every conversation starts from.
    public static let systemPrompt = "You are a helpful assistant in a chat. Answer clearly and accurately; say so when you are not sure. Use Markdown sparingly."
    /// Messages beyond the recent window wait for this many before they are summarized together.
    public static let summarizeBatch = 20

    private let gateway: Gateway
    private let store: SQLiteStore
    private let settings: Settings
    private let memoryWindow: Int
    private let clock: @Sendable () -> Date
    private let logger = Logger(label: "switchboard.assistant")
    /// Facts and summaries, written after the replies.
    let upkeep = KeyedQueues<String>()

    /// An assistant answering through `gateway` and remembering in `store`.
    public init(gateway: Gateway, store: SQLiteStore, settings: Settings, clock: @escaping @Sendable () -> Date = { Date() }) {
        self.gateway = gateway
        self.store = store
        self.settings = settings
        self.memoryWindow = settings.memoryWindow
        self.clock = clock
    }

    /// Answers as a stream of events ending with `.completed`.
    public func reply(_ request: AssistantRequest) -> AsyncStream<AssistantEvent> {
        AsyncStream { continuation in
            let task = Task {
                await self.answer(request) { continuation.yield($0) }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// Answers and returns the result only.
    public func respond(_ request: AssistantRequest) async -> AssistantResult {
        var result: AssistantResult?
        await answer(request) { event in
            if case .completed(let final) = event { result = final }
        }
        return result ?? Self.refusal("no answer")
    }

    /// The policy for what a *person* sends, applied at intake before anything is stored or sent:
    /// control characters stripped, an over-long message refused with the reason, suspected
    /// prompt injections recorded in the error log. The Gateway does not apply it to what it is
    /// asked: the system's own calls (a summary prompt holds many messages) are not people's.
    public func admit(_ text: String, conversation: ConversationID?, request: RequestID? = nil) -> ContentChecks.Input {
        let input = ContentChecks.check(input: text, maxLength: settings.maxInputLength)
        if !input.flags.isEmpty {
            gateway.logError(source: "content", kind: "prompt_injection_suspected", message: "message in \(conversation?.rawValue ?? "-"): \(input.flags.joined(separator: ", "))", request: request)
        }
        return input
    }

    func answer(_ request: AssistantRequest, emit: (AssistantEvent) -> Void) async {
        guard !request.text.allSatisfy(\.isWhitespace) else {
            emit(.completed(Self.refusal("Please send a message with some text.")))
            return
        }
        // People's messages meet the intake policy here, before anything is stored: an over-long
        // message leaves no trace half-way, and control characters never reach history or model.
        let admitted = admit(request.text, conversation: request.conversation, request: request.id)
        if let refusal = admitted.refusal {
            emit(.completed(Self.refusal(refusal)))
            return
        }
        let text = admitted.text.trimmingCharacters(in: .whitespacesAndNewlines)
        let conversationID = request.conversation.rawValue
        let profileKey = request.userID ?? conversationID

        // What is remembered: a read that fails is not "nothing yet" — answering without memory
        // would pass for forgetting, and the person is asked to send it again instead.
        let conversation: ConversationRecord?
        let profile: UserProfileRecord?
        let recent: [StoredMessage]
        do {
            conversation = try store.conversation(conversationID)
            profile = settings.features.personality ? try store.userProfile(profileKey) : nil
            recent = settings.features.memory && request.history == nil ? try store.recentMessages(conversation: conversationID, limit: memoryWindow) : []
        } catch {
            gateway.logError(source: "store", kind: "memory_unreadable", message: "conversation \(conversationID): \(error)", request: request.id)
            emit(.completed(Self.refusal(Self.memoryUnavailableAnswer, details: "the conversation could not be read: \(error)")))
            return
        }

        // Personality: an explicit persona wins; otherwise the learned style, when enabled.
        var style: String?
        var applied: String?
        if let persona = request.persona ?? conversation?.persona.flatMap(Persona.init(rawValue:)) {
            style = persona.styleInstruction
            applied = persona.rawValue
        } else if settings.features.personality {
            style = PersonalityEngine.instructions(for: PersonalityEngine.update(PersonalityTraits(profile?.traits ?? [:]), with: text))
            applied = style == nil ? nil : "adaptive"
        }

        // Memory: the supplied history, or the stored window, facts and summary.
        let history: [ChatMessage]
        var facts: [String] = []
        var summary = ""
        if let supplied = request.history {
            history = supplied
        } else if settings.features.memory {
            history = recent.map { ChatMessage(role: $0.role == "user" ? .user : .assistant, content: $0.content) }
            facts = conversation?.keyFacts ?? []
            summary = conversation?.summary ?? ""
        } else {
            history = []
        }

        // Routed once, on what is never dropped (the system prompt and the person's words); the
        // context is then fitted to the chosen model's window, and again to a fallback's if its
        // window or tokenizer differ.
        let input = ContextBuilder.Input(
            systemPrompt: Self.systemPrompt, style: style, facts: facts, summary: summary, history: history, userMessage: text,
            contextWindow: 0, answerBudget: request.maxOutputTokens, encoding: .o200k)
        let fit: @Sendable (ModelEntry) -> [ChatMessage] = { model in
            var sized = input
            sized.contextWindow = model.contextWindow
            sized.encoding = TokenEncoding.of(model: model.id)
            return ContextBuilder.build(sized).messages
        }
        var gatewayRequest = GatewayRequest(
            id: request.id, conversation: request.conversation, user: request.userID, messages: [.system(Self.systemPrompt), .user(text)],
            priority: request.priority, maxOutputTokens: request.maxOutputTokens, streaming: request.streaming,
            callerSavesAnswer: true, refit: fit)
        let decision: RouteDecision
        switch gateway.route(gatewayRequest) {
        case .decided(let made): decision = made
        case .refused(let result):
            emit(.completed(AssistantResult(result, personalityApplied: nil)))
            return
        }
        gatewayRequest.messages = fit(decision.chosen)

        var gatewayResult: GatewayResult?
        await gateway.answer(gatewayRequest, routed: decision) { event in
            switch event {
            case .routed(let decision): emit(.routed(decision))
            case .delta(let piece): emit(.delta(piece))
            case .restarted(let reason): emit(.restarted(reason: reason))
            case .completed(let result): gatewayResult = result
            }
        }
        guard let result = gatewayResult else { return }
        var final = AssistantResult(result, personalityApplied: applied)
        guard !result.hadErrors else {
            final.personalityApplied = nil
            emit(.completed(final))
            return
        }

        // The exchange, its usage row and the conversation's new state in one transaction; only
        // then is the answer announced on the bus and handed to the channel.
        let now = clock()
        let saved: Bool
        do {
            try store.recordExchange(
                Exchange(
                    conversation: conversationID, channel: request.channel.rawValue, userMessage: text, answer: result.text,
                    usage: result.unsavedUsage?.record, settlingReservation: result.unsavedUsage?.reservationRow, at: now),
                change: { Self.update(&$0, text: text, userName: request.userName, recent: history, now: now) },
                profile: profileKey,
                profileChange: { profile in
                    if request.persona == nil && conversation?.persona == nil && self.settings.features.personality {
                        profile.traits = PersonalityEngine.update(PersonalityTraits(profile.traits), with: text).dictionary
                    }
                    profile.messageCount += 1
                    if applied != nil { profile.adaptations += 1 }
                })
            saved = true
        } catch {
            saved = false
            final.errorDetails.append("the conversation could not be saved: \(error)")
            gateway.logError(source: "store", kind: "exchange_not_saved", message: "conversation \(conversationID): the answer was sent but not remembered: \(error)", request: request.id)
        }
        gateway.finish(result, of: gatewayRequest, saved: saved)
        emit(.completed(final))
        // Facts and summaries after the answer is out, never in its way.
        if saved && settings.features.memory && request.history == nil {
            upkeep.enqueue(conversationID) { [self] in await self.keepUp(conversationID) }
        }
    }

    /// Said when the conversation cannot be read (a busy or failing database).
    public static let memoryUnavailableAnswer = "Sorry — I can't reach my memory of our conversation right now. Please send that again in a minute."

    private static func update(_ conversation: inout ConversationRecord, text: String, userName: String, recent: [ChatMessage], now: Date) {
        conversation.messageCount += 2
        conversation.sentimentTrend = Array((conversation.sentimentTrend + [ConversationAnalyzer.sentiment(of: text)]).suffix(ConversationAnalyzer.trendLength))
        conversation.currentPhase = ConversationAnalyzer.phase(latest: text, messageCount: conversation.messageCount)
        let userTurns = recent.filter { $0.role == .user }.suffix(5).map(\.content) + [text]
        conversation.currentTopic = ConversationAnalyzer.topic(of: userTurns)
        conversation.lastUser = userName
        conversation.updatedAt = now
    }

    /// Waits until the facts and summaries of every answer so far are written (shutdown, tests).
    public func waitForUpkeep() async {
        await upkeep.waitUntilIdle()
    }

    /// Takes key facts from the person's new messages, then summarizes the messages that left
    /// the recent window once there are enough of them. Runs after the reply, one conversation at
    /// a time; what it writes is merged into the stored state in a transaction of its own.
    func keepUp(_ conversationID: String) async {
        do {
            try takeFacts(conversationID)
            try await summarizeIfNeeded(conversationID)
        } catch {
            gateway.logError(source: "store", kind: "memory_upkeep_failed", message: "conversation \(conversationID): facts or summary not updated (tried again after the next message): \(error)")
        }
    }

    private func takeFacts(_ conversationID: String) throws(StoreError) {
        guard let conversation = try store.conversation(conversationID) else { return }
        let messages = try store.messages(conversation: conversationID, after: conversation.factsThrough, through: .max)
        guard let last = messages.last?.id else { return }
        let found = messages.filter { $0.role == "user" }.flatMap { FactExtractor.facts(in: $0.content) }
        try store.updateConversation(conversationID, at: clock()) { record in
            guard record.factsThrough < last else { return }
            record.keyFacts = FactExtractor.merge(record.keyFacts, found)
            record.factsThrough = last
        }
    }

    /// The context the next reply in `conversation` would send for `text`, without sending it:
    /// the stored window, facts and summary built into `window` tokens (benchmarks, previews).
    public func previewContext(_ conversation: ConversationID, text: String, window: Int, answerBudget: Int = 1_024) throws(StoreError) -> ContextBuilder.Output {
        let record = try store.conversation(conversation.rawValue)
        let recent = try store.recentMessages(conversation: conversation.rawValue, limit: memoryWindow)
        return ContextBuilder.build(ContextBuilder.Input(
            systemPrompt: Self.systemPrompt, style: record?.persona.flatMap(Persona.init(rawValue:))?.styleInstruction,
            facts: record?.keyFacts ?? [], summary: record?.summary ?? "",
            history: recent.map { ChatMessage(role: $0.role == "user" ? .user : .assistant, content: $0.content) },
            userMessage: text, contextWindow: window, answerBudget: answerBudget, encoding: .o200k))
    }

    /// Summarizes the messages that left the recent window once there are enough of them.
    func summarizeIfNeeded(_ conversationID: String) async throws(StoreError) {
        guard let conversation = try store.conversation(conversationID),
            let oldestKept = try store.recentMessages(conversation: conversationID, limit: memoryWindow).first?.id
        else { return }
        let pending = try store.messages(conversation: conversationID, after: conversation.summarizedThrough, through: oldestKept - 1)
        guard pending.count >= Self.summarizeBatch, let last = pending.last else { return }
        let (summary, _, error) = await Summarizer.summarize(previous: conversation.summary, messages: pending, conversation: conversationID, gateway: gateway)
        if let error {
            logger.notice("summary written without a model", metadata: ["conversation": "\(conversationID)", "reason": "\(error)"])
        }
        // Only the summary is written, and only over the one it extends: a reset meanwhile (the
        // record gone) or another summary (moved on) wins.
        try store.updateConversation(conversationID, at: clock()) { record in
            guard record.summarizedThrough == conversation.summarizedThrough else { return }
            record.summary = summary
            record.summarizedThrough = last.id
            record.lastPrunedAt = clock()
        }
    }

    // MARK: - Conversation controls

    /// Forgets a conversation.
    public func reset(_ conversation: ConversationID) throws(StoreError) {
        try store.resetConversation(conversation.rawValue)
    }

    /// Sets (or with `nil` clears) a conversation's persona.
    public func setPersona(_ persona: Persona?, for conversation: ConversationID, channel: Channel) throws(StoreError) {
        let now = clock()
        try store.updateConversation(conversation.rawValue, creatingFor: channel.rawValue, at: now) { record in
            record.persona = persona?.rawValue
            record.updatedAt = now
        }
    }

    /// The seed's conversation context: counts, sentiment, phase, topic, pruning.
    public func context(of conversation: ConversationID) throws(StoreError) -> ConversationContext? {
        try store.conversation(conversation.rawValue).map {
            ConversationContext(
                messageCount: $0.messageCount, sentimentTrend: $0.sentimentTrend, currentPhase: $0.currentPhase, currentTopic: $0.currentTopic,
                lastPrunedAt: $0.lastPrunedAt, keyFacts: $0.keyFacts, summary: $0.summary, persona: $0.persona)
        }
    }

    /// Applies the conversation commands of the bus; `nil` for commands that are not the Assistant's.
    public func apply(_ command: Command) throws(StoreError) -> String? {
        switch command {
        case .resetConversation(let conversation):
            try reset(conversation)
            return "conversation \(conversation) reset"
        case .setPersona(let conversation, let name):
            let persona = name.flatMap(Persona.init(name:))
            try setPersona(persona, for: conversation, channel: .console)
            return persona.map { "persona \($0.rawValue)" } ?? "learned personality"
        default:
            return nil
        }
    }

    static func refusal(_ message: String, details: String? = nil) -> AssistantResult {
        AssistantResult(
            responseContent: message, modelUsed: "", provider: "", costEstimate: 0, personalityApplied: nil, hadErrors: true,
            errorDetails: [details ?? message], fromCache: false, usage: TokenUsage(promptTokens: 0, outputTokens: 0), costKnown: true,
            latency: .zero, timeToFirstToken: nil, routeReason: "", isDemo: false)
    }
}
