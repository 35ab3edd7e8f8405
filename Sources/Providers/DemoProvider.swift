/// An offline model for a machine with no provider key: deterministic answers, streamed word by
/// word at a human pace, with usage reported and nothing charged. Every answer says it is a demo.
///
/// It exists so a newcomer can try every feature — streaming, memory, the console — before
/// adding a key; the Gateway enables it only when no real provider is configured.
public struct DemoProvider: LLMProvider {
    /// The provider's name.
    public static let providerName = "demo"
    /// The one model it serves.
    public static let modelName = "switchboard-demo"
    /// The label every answer starts with.
    public static let label = "[demo]"

    public let name = DemoProvider.providerName
    /// The delay between streamed words.
    public let pace: Duration

    /// A demo provider streaming one word every `pace`.
    public init(pace: Duration = .milliseconds(35)) {
        self.pace = pace
    }

    static let tips = [
        "Add OPENAI_API_KEY or ANTHROPIC_API_KEY to .env and restart to talk to a real model.",
        "`switchboard config check` tells you what is missing from your configuration.",
        "`switchboard pin MODEL` pins a model and `switchboard pin auto` lets the router choose again.",
        "Quotas are in US dollars per provider per hour and per day; the console shows them as bars.",
        "Identical questions are answered from the response cache at no cost while LLM_ENABLE_CACHING is on.",
        "Switchboard remembers each conversation: recent messages, a running summary and key facts.",
    ]

    /// The answer to a request: the same request always gets the same answer.
    public static func answer(to request: ChatRequest) -> String {
        let question = request.messages.last(where: { $0.role == .user })?.content ?? ""
        let quoted = question.count > 120 ? String(question.prefix(119)) + "…" : question
        let tip = tips[Int(stableHash(question) % UInt64(tips.count))]
        let heard = quoted.isEmpty ? "" : " You said: “\(quoted)”."
        return "\(label) This is Switchboard's offline demo model, answering because no provider key is set.\(heard) \(tip)"
    }

    /// FNV-1a over the UTF-8 bytes: stable across runs, unlike `hashValue`.
    static func stableHash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xcbf2_9ce4_8422_2325 as UInt64) { ($0 ^ UInt64($1)) &* 0x100_0000_01b3 }
    }

    /// A rough token count (about four characters a token) for the usage it reports.
    static func estimatedTokens(_ text: String) -> Int {
        max(1, (text.count + 3) / 4)
    }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        let text = Self.answer(to: request)
        let pace = pace
        return AsyncThrowingStream { continuation in
            let task = Task {
                let words = Self.words(of: text, limit: request.maxOutputTokens)
                for word in words {
                    if pace > .zero {
                        do {
                            try await Task.sleep(for: pace)
                        } catch {
                            continuation.finish(throwing: ProviderError(.cancelled, provider: Self.providerName, message: "cancelled"))
                            return
                        }
                    }
                    continuation.yield(.delta(word))
                }
                let prompt = request.messages.reduce(0) { $0 + Self.estimatedTokens($1.content) + 4 }
                let usage = TokenUsage(promptTokens: prompt, outputTokens: Self.estimatedTokens(words.joined()))
                let stop: StopReason = words.joined() == text ? .endTurn : .maxTokens
                continuation.yield(.finished(usage: usage, stopReason: stop))
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    public func complete(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse {
        try await DemoProvider(pace: .zero).collect(request)
    }

    /// The answer cut into words, at most `limit` of them.
    static func words(of text: String, limit: Int) -> [String] {
        Array(StreamChunks.words(text).prefix(max(1, limit)))
    }
}
