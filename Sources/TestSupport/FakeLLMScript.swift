/// What a fake provider does with the next request: the answer, its pacing and usage, or a fault.
public struct FakeLLMScript: Sendable {
    /// A way to fail, as real providers do.
    public enum Fault: Sendable {
        /// An error status with the provider's error body; `retryAfter` becomes the `Retry-After` header.
        case status(Int, type: String, message: String, retryAfter: String? = nil)
        /// The connection closes after this many text chunks, in the middle of an HTTP chunk.
        case dropAfter(chunks: Int)
        /// An in-stream error event after this many text chunks (Anthropic's `overloaded_error`).
        case errorEvent(afterChunks: Int, type: String, message: String)
        /// Bytes that are not an event stream, with status 200.
        case garbage
        /// Status 200 with JSON cut off halfway (a whole body when not streaming, one event when streaming).
        case truncatedJSON
        /// An HTML page with status 200, as a misconfigured proxy sends.
        case htmlWith200
        /// Status 200 with the wire's JSON error object as the body (some proxies answer so).
        case errorWith200(type: String, message: String)
        /// Silence after this many chunks (0: accept and never answer).
        case stall(afterChunks: Int, for: Duration)
        /// A 200 response of this many bytes of data events, and no proper end.
        case huge(bytes: Int)
    }

    /// The answer's text chunks, in order.
    public var chunks: [String]
    /// The pause before each chunk.
    public var pace: Duration
    /// The pause before the first chunk (the model "thinking").
    public var delay: Duration = .zero
    /// Prompt tokens reported (all of them, cached included).
    public var promptTokens: Int
    /// Output tokens reported.
    public var outputTokens: Int
    /// Prompt tokens read from the provider's cache.
    public var cachedTokens: Int
    /// Prompt tokens written to the provider's cache (Anthropic).
    public var cacheWriteTokens: Int
    /// Whether usage is sent at all (compatible servers sometimes omit it).
    public var includeUsage: Bool
    /// A usage object sent as it is instead of the counts above, as a provider that misreports
    /// sends it (`{"prompt_tokens": -5000000}`, fractions, strings, `9223372036854775807`).
    public var rawUsage: String?
    /// How the request fails, if it does.
    public var fault: Fault?
    /// A chunk the stream waits before until the test opens the hold.
    public var hold: StreamHold?

    /// A script answering `text` in word-sized chunks.
    public init(text: String = "Hello from the fake provider.", pace: Duration = .zero, promptTokens: Int = 12, outputTokens: Int = 7, cachedTokens: Int = 0, cacheWriteTokens: Int = 0, includeUsage: Bool = true, rawUsage: String? = nil, fault: Fault? = nil) {
        var chunks: [String] = []
        var current = ""
        for character in text {
            current.append(character)
            if character == " " {
                chunks.append(current)
                current = ""
            }
        }
        if !current.isEmpty { chunks.append(current) }
        self.chunks = chunks
        self.pace = pace
        self.promptTokens = promptTokens
        self.outputTokens = outputTokens
        self.cachedTokens = cachedTokens
        self.cacheWriteTokens = cacheWriteTokens
        self.includeUsage = includeUsage
        self.rawUsage = rawUsage
        self.fault = fault
    }

    /// The whole answer.
    public var text: String { chunks.joined() }

    /// A failing script.
    public static func failing(_ fault: Fault) -> FakeLLMScript { FakeLLMScript(fault: fault) }
}
