import Foundation
import HTTP

extension ProviderError {
    /// Maps a transport failure.
    init(_ error: HTTPError, provider: String) {
        let code: Code =
            switch error.code {
            case .connectTimeout, .firstByteTimeout, .idleTimeout, .totalTimeout: .timeout
            case .couldNotConnect, .tls, .connectionLost: .connectionLost
            case .invalidResponse, .responseTooLarge, .invalidURL, .other: .malformedResponse
            case .cancelled: .cancelled
            }
        self.init(code, provider: provider, message: error.message)
    }

    /// Maps an HTTP error status and the provider's error body (`{"error": {"message", "type", "code"}}`,
    /// the shape OpenAI, Anthropic and most compatible servers share).
    init(status: Int, body: [UInt8], headers: HTTPResponseHead, provider: String) {
        let parsed = ProviderErrorBody(body)
        let retryAfter = Self.retryAfter(headers)
        let code: Code
        switch (status, parsed.code ?? parsed.type) {
        case (_, "context_length_exceeded"), (413, _): code = .contextLengthExceeded
        case (_, "insufficient_quota"): code = .insufficientQuota
        case (400, _) where Self.mentionsContextLength(parsed.message): code = .contextLengthExceeded
        case (400, _), (422, _): code = .badRequest
        case (401, _), (403, _), (_, "authentication_error"), (_, "permission_error"): code = .authentication
        case (404, _): code = .modelNotFound
        case (429, _): code = .rateLimited
        case (529, _), (_, "overloaded_error"): code = .overloaded
        default: code = status >= 500 ? .serverError : .badRequest
        }
        self.init(code, provider: provider, status: status, message: parsed.message.isEmpty ? "HTTP \(status)" : parsed.message, retryAfter: retryAfter)
    }

    /// The error a successful-looking body carries (`{"error": {…}}` or Anthropic's
    /// `{"type": "error", …}` with status 200), or nil when the body is not an error object.
    init?(embeddedIn body: [UInt8], status: Int, provider: String) {
        // Not JSON is not an error object: nil, and the caller says what it got instead.
        guard let envelope = Wire.decode(ErrorEnvelope.self, from: body),
            envelope.hasError || envelope.type == "error", !envelope.hasChoices, !envelope.hasContent
        else { return nil }
        var parsed = ProviderErrorBody(envelope)
        if let text = envelope.errorText { parsed.message = text }
        let kind = parsed.code ?? parsed.type
        let code: Code =
            switch kind {
            case "insufficient_quota": .insufficientQuota
            case "context_length_exceeded": .contextLengthExceeded
            case "invalid_api_key": .authentication
            default: Self.mentionsContextLength(parsed.message) ? .contextLengthExceeded : Self.streamErrorCode(type: parsed.type ?? kind)
            }
        let reason = parsed.message.isEmpty ? "an error without a message" : parsed.message
        self.init(code, provider: provider, status: status, message: "\(reason) (an error sent with HTTP \(status))")
    }

    /// Whether an error message speaks of a prompt longer than the model's window (OpenAI says
    /// "maximum context length", Anthropic "prompt is too long").
    static func mentionsContextLength(_ message: String) -> Bool {
        let text = message.lowercased()
        return text.contains("context length") || text.contains("context window") || text.contains("prompt is too long")
    }

    /// The code for an error `type` sent inside a stream (Anthropic's `error` event, or an OpenAI
    /// chunk carrying `error`).
    static func streamErrorCode(type: String?) -> Code {
        switch type {
        case "overloaded_error", "overloaded": .overloaded
        case "rate_limit_error", "rate_limit_exceeded": .rateLimited
        case "invalid_request_error": .badRequest
        case "authentication_error", "permission_error": .authentication
        case "not_found_error": .modelNotFound
        case "request_too_large": .contextLengthExceeded
        default: .serverError
        }
    }

    /// Seconds from `retry-after-ms`, `retry-after` (seconds or an HTTP date).
    static func retryAfter(_ head: HTTPResponseHead) -> Double? {
        if let milliseconds = head["retry-after-ms"].flatMap(Double.init) { return milliseconds / 1000 }
        guard let value = head["retry-after"] else { return nil }
        if let seconds = Double(value) { return max(0, seconds) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: value).map { max(0, $0.timeIntervalSinceNow) }
    }
}

/// The error object providers send: OpenAI `{"error": {…}}`, Anthropic `{"type": "error", "error": {…}}`.
struct ProviderErrorBody {
    var message: String
    var type: String?
    var code: String?

    init(_ bytes: [UInt8]) {
        if let envelope = Wire.decode(ErrorEnvelope.self, from: bytes) {
            self.init(envelope)
        } else {
            // Not JSON (an HTML error page, say): keep a short, printable excerpt.
            self.init(message: String(decoding: bytes.prefix(200), as: UTF8.self).filter { !$0.isNewline }, type: nil, code: nil)
        }
    }

    init(_ envelope: ErrorEnvelope) {
        self.init(message: envelope.fields.message ?? "", type: envelope.fields.type, code: envelope.fields.code)
    }

    init(message: String, type: String?, code: String?) {
        self.message = message
        self.type = type
        self.code = code
    }
}
