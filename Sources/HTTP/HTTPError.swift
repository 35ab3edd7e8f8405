/// A failed HTTP exchange (transport level: a status code, even 500, is not an error here).
public struct HTTPError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kind of failure.
    public enum Code: String, Sendable, Hashable {
        case invalidURL = "invalid_url"
        case couldNotConnect = "could_not_connect"
        case connectTimeout = "connect_timeout"
        case firstByteTimeout = "first_byte_timeout"
        case idleTimeout = "idle_timeout"
        case totalTimeout = "total_timeout"
        case tls
        case connectionLost = "connection_lost"
        case invalidResponse = "invalid_response"
        case responseTooLarge = "response_too_large"
        case cancelled
        case other
    }

    public let code: Code
    /// What happened, in words (never a header value: keys travel in headers).
    public let message: String

    /// Creates an error.
    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    /// Whether the request ran out of time in any phase.
    public var isTimeout: Bool {
        [.connectTimeout, .firstByteTimeout, .idleTimeout, .totalTimeout].contains(code)
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
