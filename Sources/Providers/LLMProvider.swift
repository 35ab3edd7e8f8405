/// A model provider: one wire format behind one base URL and key.
///
/// Providers know nothing of routing, budgets or caching (the Gateway's job); they turn a
/// ``ChatRequest`` into text and usage, and every failure into a ``ProviderError``.
public protocol LLMProvider: Sendable {
    /// The provider's configured name (`openai`, `anthropic`, `groq`, `demo`…).
    var name: String { get }

    /// Streams the answer: deltas, then one `.finished` with usage. The stream throws a
    /// ``ProviderError``; cancelling the consuming task aborts the request.
    func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error>

    /// Asks for the whole answer at once.
    func complete(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse
}

extension LLMProvider {
    /// Collects a stream into one response (for providers whose non-streaming call is the stream).
    public func collect(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse {
        var text = ""
        do {
            for try await event in stream(request) {
                switch event {
                case .delta(let piece):
                    text += piece
                case .finished(let usage, let stopReason):
                    return ChatResponse(text: text, model: request.model, usage: usage, stopReason: stopReason)
                }
            }
        } catch let error as ProviderError {
            throw error
        } catch {
            throw ProviderError(.malformedResponse, provider: name, message: "\(error)")
        }
        throw ProviderError(.connectionLost, provider: name, message: "the stream ended before the answer was complete")
    }
}
