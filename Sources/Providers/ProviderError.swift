import Core

/// A provider call that failed, mapped from its wire format to one vocabulary.
///
/// Carries the provider, HTTP status and the provider's own message; never the API key.
public struct ProviderError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure; decides whether to retry, fail over or give up.
    public enum Code: String, Sendable, Hashable, CaseIterable {
        case rateLimited = "rate_limited"
        case overloaded
        case authentication
        /// The account has no credit left (OpenAI's `insufficient_quota`): retrying will not help.
        case insufficientQuota = "insufficient_quota"
        case badRequest = "bad_request"
        case contextLengthExceeded = "context_length_exceeded"
        case modelNotFound = "model_not_found"
        case serverError = "server_error"
        case timeout
        case connectionLost = "connection_lost"
        case malformedResponse = "malformed_response"
        case cancelled
    }

    public let code: Code
    /// The provider's name.
    public let provider: String
    /// The HTTP status, when there was one.
    public let status: Int?
    /// What the provider (or the transport) said.
    public let message: String
    /// Seconds to wait before retrying, from `Retry-After` or the error body.
    public let retryAfter: Double?

    /// Creates an error; secrets in `message` (an upstream may echo the key) are scrubbed.
    public init(_ code: Code, provider: String, status: Int? = nil, message: String, retryAfter: Double? = nil) {
        self.code = code
        self.provider = provider
        self.status = status
        self.message = Redactor.shared.scrub(message)
        self.retryAfter = retryAfter
    }

    /// Whether trying the same provider again later can succeed.
    public var isRetryable: Bool {
        switch code {
        case .rateLimited, .overloaded, .serverError, .timeout, .connectionLost, .malformedResponse: true
        case .authentication, .insufficientQuota, .badRequest, .contextLengthExceeded, .modelNotFound, .cancelled: false
        }
    }

    /// Whether the failure is the provider's as a whole rather than one model's (a stall, an
    /// outage, a refused key): its other models would fail the same way.
    public var isProviderWide: Bool {
        switch code {
        case .timeout, .connectionLost, .serverError, .overloaded, .malformedResponse, .authentication, .insufficientQuota: true
        case .rateLimited, .badRequest, .contextLengthExceeded, .modelNotFound, .cancelled: false
        }
    }

    public var description: String {
        let status = status.map { " \($0)" } ?? ""
        let retry = retryAfter.map { ", retry after \(Int($0.rounded(.up)))s" } ?? ""
        return "\(provider)\(status) \(code.rawValue): \(message)\(retry)"
    }
}
