import Foundation
public import HTTP

/// OpenAI Chat Completions (`POST {base}/chat/completions`), and the OpenAI-compatible servers that
/// copy it (OpenRouter, Ollama, vLLM, llama.cpp server, Groq…).
///
/// Streaming always asks for `stream_options.include_usage`, so the last chunk (with empty
/// `choices`) carries the usage; a compatible server that sends none gets an estimate, marked so.
public struct OpenAIProvider: LLMProvider {
    /// OpenAI itself, or a server that speaks its format.
    public enum Flavor: Sendable {
        case openAI
        case compatible
    }

    public let name: String
    let baseURL: String
    let apiKey: String?
    let organization: String?
    let flavor: Flavor
    let transport: any HTTPTransport
    let timeouts: HTTPTimeouts

    /// Creates a provider; `baseURL` has no trailing slash (e.g. `https://api.openai.com/v1`).
    public init(name: String, baseURL: String, apiKey: String?, organization: String? = nil, flavor: Flavor, transport: any HTTPTransport, timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.name = name
        self.baseURL = baseURL
        self.apiKey = apiKey
        self.organization = organization
        self.flavor = flavor
        self.transport = transport
        self.timeouts = timeouts
    }

    func httpRequest(_ request: ChatRequest, stream: Bool) -> HTTPRequest {
        var body: [String: Any] = [
            "model": request.model,
            "messages": request.messages.map { ["role": $0.role.rawValue, "content": $0.content] },
            "stream": stream,
        ]
        // OpenAI's current name for the limit; compatible servers mostly know only the older one.
        body[flavor == .openAI ? "max_completion_tokens" : "max_tokens"] = request.maxOutputTokens
        if stream { body["stream_options"] = ["include_usage": true] }
        if let temperature = request.temperature { body["temperature"] = temperature }
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json"), ("Accept", stream ? "text/event-stream" : "application/json")]
        if let apiKey { headers.append(("Authorization", "Bearer \(apiKey)")) }
        if let organization { headers.append(("OpenAI-Organization", organization)) }
        // Strings, integers and a finite temperature only: serializing cannot fail.
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        return HTTPRequest(method: "POST", url: baseURL + "/chat/completions", headers: headers, body: data, timeouts: timeouts)
    }

    var http: ProviderTransport { ProviderTransport(provider: name, transport: transport) }

    public func stream(_ request: ChatRequest) -> AsyncThrowingStream<ChatStreamEvent, any Error> {
        http.stream { [self] continuation throws(ProviderError) in
            let response = try await http.send(httpRequest(request, stream: true))
            try await OpenAIStreamReader(provider: name, request: request).read(response, into: continuation, via: http)
        }
    }

    public func complete(_ request: ChatRequest) async throws(ProviderError) -> ChatResponse {
        let (head, bytes) = try await http.sendAndCollect(httpRequest(request, stream: false))
        guard let completion = Wire.decode(OpenAICompletion.self, from: bytes), let first = completion.choices?.first, let message = first.message else {
            throw ProviderError(.malformedResponse, provider: name, status: head.status, message: "expected a chat completion, got: \(Self.excerpt(bytes))")
        }
        let text = message.content ?? ""
        let usage = completion.usage?.tokenUsage ?? TokenUsage.estimated(for: request, answer: text)
        return ChatResponse(text: text, model: completion.model ?? request.model, usage: usage, stopReason: OpenAIStreamReader.stopReason(first.finishReason))
    }

    static func excerpt(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.prefix(120), as: UTF8.self).filter { !$0.isNewline }
        return text.isEmpty ? "an empty body" : "“\(text)”"
    }
}

/// Turns an OpenAI event stream into ``ChatStreamEvent``s.
struct OpenAIStreamReader {
    let provider: String
    let request: ChatRequest

    func read(_ response: HTTPStreamingResponse, into continuation: AsyncThrowingStream<ChatStreamEvent, any Error>.Continuation, via http: ProviderTransport) async throws(ProviderError) {
        var text = ""
        var usage: TokenUsage?
        var stopReason: StopReason = .endTurn
        var done = false

        try await http.readEvents(of: response) { event throws(ProviderError) -> Bool in
            guard event.data != "[DONE]" else {
                done = true
                return true
            }
            let bytes = Array(event.data.utf8)
            guard let chunk = Wire.decode(OpenAICompletion.self, from: bytes) else {
                throw ProviderError(.malformedResponse, provider: provider, message: "unreadable stream event: \(OpenAIProvider.excerpt(bytes))")
            }
            if chunk.error != nil {
                let body = ProviderErrorBody(bytes)
                throw ProviderError(ProviderError.streamErrorCode(type: body.type ?? body.code), provider: provider, message: body.message.isEmpty ? "error in the stream" : body.message)
            }
            if let parsed = chunk.usage?.tokenUsage { usage = parsed }
            for choice in chunk.choices ?? [] {
                if let content = choice.delta?.content, !content.isEmpty {
                    text += content
                    continuation.yield(.delta(content))
                }
                if let reason = choice.finishReason { stopReason = Self.stopReason(reason) }
            }
            return false
        }
        guard done || usage != nil else {
            throw ProviderError(.connectionLost, provider: provider, message: "the stream ended before [DONE]")
        }
        let final = usage ?? TokenUsage.estimated(for: request, answer: text)
        continuation.yield(.finished(usage: final, stopReason: stopReason))
    }

    static func stopReason(_ reason: String?) -> StopReason {
        switch reason {
        case "stop", nil: .endTurn
        case "length": .maxTokens
        case "content_filter": .contentFilter
        default: .other
        }
    }
}
