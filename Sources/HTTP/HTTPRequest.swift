public import Foundation

/// How long each phase of a request may take.
public struct HTTPTimeouts: Sendable, Hashable {
    /// Establishing the connection (TCP and TLS).
    public var connect: Duration
    /// From sending the request to the first byte of the response.
    public var firstByte: Duration
    /// The longest silence between two chunks of the body once it has started.
    public var idle: Duration
    /// The whole request, body included.
    public var total: Duration

    /// Creates timeouts.
    public init(connect: Duration = .seconds(10), firstByte: Duration = .seconds(60), idle: Duration = .seconds(60), total: Duration = .seconds(600)) {
        self.connect = connect
        self.firstByte = firstByte
        self.idle = idle
        self.total = total
    }
}

/// An HTTP request.
public struct HTTPRequest: Sendable {
    /// `GET`, `POST`…
    public var method: String
    /// The absolute URL.
    public var url: String
    /// Header fields in order.
    public var headers: [(name: String, value: String)]
    /// The body, if any.
    public var body: Data?
    /// Per-phase time limits.
    public var timeouts: HTTPTimeouts

    /// Creates a request.
    public init(method: String = "GET", url: String, headers: [(name: String, value: String)] = [], body: Data? = nil, timeouts: HTTPTimeouts = HTTPTimeouts()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}

/// The status line and header fields of a response.
public struct HTTPResponseHead: Sendable, Hashable {
    /// The status code.
    public var status: Int
    /// Header fields by lower-cased name (a repeated field keeps its last value).
    public var headers: [String: String]

    /// Creates a head.
    public init(status: Int, headers: [String: String]) {
        self.status = status
        self.headers = headers
    }

    /// A header's value, by case-insensitive name.
    public subscript(name: String) -> String? { headers[name.lowercased()] }
}

/// A response whose body arrives as the network delivers it.
public struct HTTPStreamingResponse: Sendable {
    /// Status and headers.
    public var head: HTTPResponseHead
    /// The body in chunks; it throws an ``HTTPError`` if the transfer fails midway. Stopping the
    /// iteration (or cancelling the consuming task) aborts the transfer.
    public var body: AsyncThrowingStream<[UInt8], any Error>

    /// Creates a response.
    public init(head: HTTPResponseHead, body: AsyncThrowingStream<[UInt8], any Error>) {
        self.head = head
        self.body = body
    }

    /// Reads the whole body, refusing more than `limit` bytes.
    public func collect(upTo limit: Int) async throws(HTTPError) -> [UInt8] {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                bytes += chunk
                if bytes.count > limit {
                    throw HTTPError(.responseTooLarge, "the response is larger than \(limit) bytes")
                }
            }
        } catch let error as HTTPError {
            throw error
        } catch {
            throw HTTPError(.connectionLost, "\(error)")
        }
        return bytes
    }
}

/// Sends HTTP requests. The seam every network call goes through, so tests and benchmarks can
/// measure or replace it.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns once the response head has arrived.
    func execute(_ request: HTTPRequest) async throws(HTTPError) -> HTTPStreamingResponse
}
