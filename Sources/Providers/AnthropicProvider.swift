import Foundation
public import HTTP

/// Anthropic Messages (`POST {base}/v1/messages`).
///
/// System messages are lifted into the top-level `system` field, consecutive messages of one role
/// are merged (the API wants them alternating, starting with the user), and the streamed event
/// sequence is followed to the end: `message_start` → content block deltas → `message_delta`
/// (cumulative usage: the last value wins) → `message_stop`, with `ping` anywhere and an `error`
/// event possible mid-stream.
public struct AnthropicProvider: LLMProvider {
    public let name: String
    let baseURL: String
    let apiKey: String
    let transport: any HTTPTransport
    let timeouts: HTTPTimeouts

    /// The API version header every request carries.
    static let apiVersion = "2023-06-01"
    /// Stands in for the user's turn when a history starts with the assistant.
    static let continuationPrompt = "(continuing our conversation)"

    /// Creates a provider; `baseURL` has no trailing slash (e.g. `https://api.anthropic.com`).
    public init(name: String = "anthropic", baseURL: String, apiKey: String, transport: any HTTPTransport, timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.transport = transport
        self.timeouts = timeouts
    }

    /// The request body's `system` and `messages`, shaped as the API requires.
    static func shape(_ messages: [ChatMessage]) -> (system: String?, messages: [[String: String]]) {
        let system = messages.filter { $0.role == .system }.map(\.content).filter { !$0.isEmpty }.joined(separator: "\n\n")
        var turns: [(role: ChatMessage.Role, content: String)] = []
        for message in messages where message.role != .system && !message.content.isEmpty {
            if let last = turns.last, last.role == message.role {
                turns[turns.count - 1].content += "\n\n" + message.content
            } else {
                turns.append((message.role, message.content))
            }
        }
        if turns.first?.role == .assistant {
            turns.insert((.user, continuationPrompt), at: 0)
        }
        return (system.isEmpty ? nil : system, turns.map { ["role": $0.role.rawValue, "content": $0.content] })
    }

    func httpRequest(_ request: ChatRequest, stream: Bool) -> HTTPRequest {
        let shaped = Self.shape(request.messages)
        var body: [String: Any] = ["model": request.model, "max_tokens": request.maxOutputTokens, "messages": shaped.messages, "stream": stream]
        if let system = shaped.system { body["system"] = system }
        if let temperature = request.temperature { body["temperature"] = temperature }
        let headers: [(name: String, value: String)] = [
            ("x-api-key", apiKey), ("anthropic-version", Self.apiVersion),
            ("content-type", "application/json"), ("accept", stream ? "text/event-stream" : "application/json"),
        ]
        // Strings, integers and a finite temperature only: serializing cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return HTTPRequest(method: "POST", url: baseURL + "/v1/messages", headers: headers, body: data, timeouts: timeouts)
    }

    var http: ProviderTransport { ProviderTransport(provider: name, transport: transport) }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        http.stream { [self] continuation throws(ProviderError) in
            let response = try await http.send(httpRequest(request, stream: true))
            try await AnthropicStreamReader(provider: name, request: request).read(response, into: continuation, via: http)
        }
    }

    public func complete(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse {
        let (head, bytes) = try await http.sendAndCollect(httpRequest(request, stream: false))
        guard let message = Wire.decode(AnthropicEvent.self, from: bytes), let content = message.content else {
            throw ProviderError(.malformedResponse, provider: name, status: head.status, message: "expected a message, got: \(OpenAIProvider.excerpt(bytes))")
        }
        let text = content.compactMap { $0.type == "text" ? $0.text : nil }.joined()
        var usage = AnthropicUsage()
        usage.merge(message.usage)
        return ChatResponse(text: text, model: message.model ?? request.model, usage: usage.tokenUsage(for: request, answer: text), stopReason: AnthropicStreamReader.stopReason(message.stopReason))
    }
}

/// Anthropic's usage counts: `input_tokens` is only the uncached part of the prompt.
struct AnthropicUsage {
    var input = 0, output = 0, cacheRead = 0, cacheWrite = 0
    /// A count that was not a whole number: the usage is estimated instead.
    var unreadable = false

    /// Takes every count present in `usage` (later values replace earlier ones: they are cumulative).
    mutating func merge(_ usage: AnthropicEvent.Usage?) {
        guard let usage else { return }
        func take(_ count: WireCount?, into value: inout Int) {
            switch count {
            case .count(let reported)?: value = reported
            case .unreadable?: unreadable = true
            case nil: break
            }
        }
        take(usage.input, into: &input)
        take(usage.output, into: &output)
        take(usage.cacheRead, into: &cacheRead)
        take(usage.cacheWrite, into: &cacheWrite)
    }

    /// The usage of `request` answered with `answer`: as reported, or estimated when unreadable.
    func tokenUsage(for request: ChatRequest, answer: String) -> TokenUsage {
        if unreadable { return TokenUsage.estimated(for: request, answer: answer) }
        // Added with overflow wrapping: absurd reports are bounded by the Gateway, not trapped on here.
        let prompt = input &+ cacheRead &+ cacheWrite
        return TokenUsage(promptTokens: prompt, outputTokens: output, cacheReadTokens: cacheRead, cacheWriteTokens: cacheWrite)
    }
}

/// Turns an Anthropic event stream into ``ChatStreamEvent``s.
struct AnthropicStreamReader {
    let provider: String
    let request: ChatRequest

    func read(_ response: HTTPStreamingResponse, into continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation, via http: ProviderTransport) async throws(ProviderError) {
        var usage = AnthropicUsage()
        var stopReason: StopReason = .endTurn
        var stopped = false
        var text = ""

        try await http.readEvents(of: response) { event throws(ProviderError) -> Bool in
            let bytes = Array(event.data.utf8)
            guard let decoded = Wire.decode(AnthropicEvent.self, from: bytes) else {
                throw ProviderError(.malformedResponse, provider: provider, message: "unreadable stream event: \(OpenAIProvider.excerpt(bytes))")
            }
            switch decoded.type ?? event.event {
            case "message_start":
                usage.merge(decoded.message?.usage)
            case "content_block_delta":
                if let delta = decoded.delta, delta.type == "text_delta", let piece = delta.text, !piece.isEmpty {
                    text += piece
                    continuation.yield(.delta(piece))
                }
            case "message_delta":
                usage.merge(decoded.usage)
                if let reason = decoded.delta?.stopReason { stopReason = Self.stopReason(reason) }
            case "message_stop":
                stopped = true
            case "error":
                let body = ProviderErrorBody(bytes)
                throw ProviderError(ProviderError.streamErrorCode(type: body.type), provider: provider, message: body.message.isEmpty ? "error in the stream" : body.message)
            default:
                break  // ping, content_block_start/stop, and event types added later.
            }
            return stopped
        }
        guard stopped else {
            throw ProviderError(.connectionLost, provider: provider, message: "the stream ended before message_stop")
        }
        continuation.yield(.finished(usage: usage.tokenUsage(for: request, answer: text), stopReason: stopReason))
    }

    static func stopReason(_ reason: String?) -> StopReason {
        switch reason {
        case "end_turn", nil: .endTurn
        case "max_tokens": .maxTokens
        case "stop_sequence": .stopSequence
        case "refusal": .contentFilter
        default: .other
        }
    }
}
