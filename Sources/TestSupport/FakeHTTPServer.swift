public import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A small HTTP/1.1 server on 127.0.0.1 with an ephemeral port, for tests and benchmarks.
///
/// Written on plain sockets (one thread per connection) rather than on an HTTP framework because
/// the fakes must misbehave at the byte level: drop a connection in the middle of a chunk, send
/// garbage instead of a status line, accept and never answer. Keep-alive is supported, so tests
/// can see whether the client reuses connections.
public final class FakeHTTPServer: Sendable {
    /// A request as the server read it.
    public struct Request: Sendable {
        public let method: String
        /// The path, also when the request line carried an absolute URI (as through a proxy).
        public let path: String
        /// The absolute URI of the request line, when the client sent one (it does to a proxy).
        public let absoluteURI: String?
        /// Header fields by lower-cased name.
        public let headers: [String: String]
        public let body: Data
        /// Which accepted connection carried it (1 for the first).
        public let connection: Int

        /// The body parsed as a JSON object, if it is one.
        public var json: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        }
    }

    /// Answers one request by writing to a ``ResponseWriter``; runs on the connection's own thread,
    /// so it may block (`writer.pause`) to pace a stream.
    public typealias Handler = @Sendable (Request, ResponseWriter) -> Void

    /// The port the server listens on.
    public let port: Int
    private let listener: Int32
    private let handler: Handler
    private let state = Mutex(State())

    private struct State {
        var requests: [Request] = []
        var connections = 0
        var stopped = false
        var openSockets: Set<Int32> = []
    }

    /// The URL of the server's root, without a trailing slash.
    public var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Every request received so far, in order.
    public var requests: [Request] { state.withLock { $0.requests } }

    /// How many connections were accepted.
    public var connectionCount: Int { state.withLock { $0.connections } }

    /// Starts listening at once; `handler` answers every request.
    public init(handler: @escaping Handler) throws {
        self.handler = handler
        let (socket, boundPort) = try Self.bindLoopback()
        guard listen(socket, 1024) == 0 else {
            close(socket)
            throw Self.posixError("listen")
        }
        listener = socket
        port = boundPort
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "fake-http-accept"
        thread.start()
    }

    deinit { stop() }

    /// Stops accepting and closes every open connection.
    public func stop() {
        // Once only: a second close of the listener's descriptor could close another server's,
        // since descriptor numbers are reused.
        // Connections are shut down under the lock: a connection thread closes its descriptor
        // under the same lock, so a number reused by another server is never touched.
        let first = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.stopped = true
            for socket in state.openSockets { shutdown(socket, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        // Only shut the listener down here (accept fails at once); the accept thread closes it as
        // it leaves. Closing it here would free its number for another server while the accept
        // thread, perhaps not even started yet, could still call accept on that number.
        shutdown(listener, Int32(SHUT_RDWR))
    }

    private func acceptLoop() {
        defer { close(listener) }
        while true {
            let client = accept(listener, nil, nil)
            guard client >= 0 else {
                if errno == EINTR { continue }
                return
            }
            var yes: Int32 = 1
            setsockopt(client, Int32(IPPROTO_TCP), TCP_NODELAY, &yes, socklen_t(MemoryLayout<Int32>.size))
            let number: Int? = state.withLock { state in
                guard !state.stopped else { return nil }
                state.connections += 1
                state.openSockets.insert(client)
                return state.connections
            }
            guard let number else {
                close(client)
                return
            }
            let thread = Thread { [self] in serve(client, connection: number) }
            thread.stackSize = 256 << 10
            thread.start()
        }
    }

    private func serve(_ socket: Int32, connection: Int) {
        let reader = RequestReader(socket: socket)
        defer {
            state.withLock { state in
                state.openSockets.remove(socket)
                close(socket)
            }
        }
        while let (method, path, headers, body) = reader.next() {
            let absolute = path.contains("://") ? path : nil
            let plainPath = absolute.flatMap { URLComponents(string: $0)?.path } ?? path
            let request = Request(method: method, path: plainPath, absoluteURI: absolute, headers: headers, body: body, connection: connection)
            state.withLock { $0.requests.append(request) }
            let writer = ResponseWriter(socket: socket)
            handler(request, writer)
            if writer.isClosed || headers["connection"]?.lowercased() == "close" { return }
        }
    }

    /// A TCP socket bound to 127.0.0.1 on an ephemeral port, and the port — never one handed out
    /// by ``ReservedPort/release()`` for a process under test to listen on.
    static func bindLoopback() throws -> (Int32, Int) {
        var skipped: [Int32] = []
        defer { skipped.forEach { close($0) } }
        while true {
            let (socket, port) = try bindAnyLoopbackPort()
            guard ReservedPort.released.withLock({ $0.contains(port) }) else { return (socket, port) }
            skipped.append(socket)  // held until a different port is found
        }
    }

    private static func bindAnyLoopbackPort() throws -> (Int32, Int) {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw posixError("socket") }
        var yes: Int32 = 1
        setsockopt(socket, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(socket)
            throw posixError("bind")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(socket, $0, &length) }
        }
        return (socket, Int(UInt16(bigEndian: address.sin_port)))
    }

    static func posixError(_ call: String) -> NSError {
        NSError(domain: NSPOSIXErrorDomain, code: Int(errno), userInfo: [NSLocalizedDescriptionKey: "\(call) failed: \(String(cString: strerror(errno)))"])
    }
}

/// Reads HTTP/1.1 requests (with `Content-Length` bodies) from a socket.
final class RequestReader {
    private let socket: Int32
    private var buffer: [UInt8] = []

    init(socket: Int32) { self.socket = socket }

    func next() -> (String, String, [String: String], Data)? {
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headerEnd: Int?
        while headerEnd == nil {
            if let range = buffer.firstRange(of: separator) {
                headerEnd = range.upperBound
            } else if !fill() {
                return nil
            }
        }
        guard let headerEnd else { return nil }
        let lines = String(decoding: buffer[..<(headerEnd - 4)], as: UTF8.self).components(separatedBy: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "0") ?? 0
        while buffer.count < headerEnd + length {
            guard fill() else { return nil }
        }
        let body = Data(buffer[headerEnd..<(headerEnd + length)])
        buffer.removeFirst(headerEnd + length)
        return (String(requestLine[0]), String(requestLine[1]), headers, body)
    }

    private func fill() -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 << 10)
        let count = recv(socket, &chunk, chunk.count, 0)
        guard count > 0 else { return false }
        buffer += chunk[..<count]
        return true
    }
}

/// Writes one response, well-formed or not. Every write reports whether the peer still listens.
public final class ResponseWriter: @unchecked Sendable {
    // @unchecked: used only on the connection's thread, which owns it.
    private let socket: Int32
    private var chunked = false
    private(set) var isClosed = false

    init(socket: Int32) { self.socket = socket }

    /// Sends the status line and headers. Without `contentLength` the body is chunked.
    public func head(status: Int, headers: [(String, String)] = [], contentLength: Int? = nil) {
        var lines = ["HTTP/1.1 \(status) \(Self.reason(status))"]
        lines += headers.map { "\($0.0): \($0.1)" }
        if let contentLength {
            lines.append("Content-Length: \(contentLength)")
        } else {
            lines.append("Transfer-Encoding: chunked")
            chunked = true
        }
        raw(Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8))
    }

    /// Sends a whole response with a body of known length.
    public func respond(status: Int, headers: [(String, String)] = [], body: String) {
        let bytes = Array(body.utf8)
        head(status: status, headers: headers, contentLength: bytes.count)
        raw(bytes)
    }

    /// Sends body bytes (as one chunk when the body is chunked). Returns `false` once the peer is gone.
    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// Sends body bytes (as one chunk when the body is chunked). Returns `false` once the peer is gone.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return !isClosed }
        if chunked {
            return raw(Array((String(bytes.count, radix: 16) + "\r\n").utf8) + bytes + Array("\r\n".utf8))
        }
        return raw(bytes)
    }

    /// Ends a chunked body.
    public func end() {
        if chunked { raw(Array("0\r\n\r\n".utf8)) }
    }

    /// Writes bytes exactly as given, bypassing any framing. Returns `false` once the peer is gone.
    @discardableResult
    public func raw(_ bytes: [UInt8]) -> Bool {
        guard !isClosed else { return false }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else {
                isClosed = true
                return false
            }
            offset += written
        }
        return true
    }

    /// Blocks this connection's thread (pacing a stream, or stalling on purpose).
    public func pause(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
    }

    /// Closes the connection at once, wherever the response is.
    public func drop() {
        guard !isClosed else { return }
        isClosed = true
        shutdown(socket, Int32(SHUT_RDWR))
    }

    /// Whether the client is still connected (a zero-length peek would block, so this tries a write of nothing).
    public var peerIsConnected: Bool {
        var byte: UInt8 = 0
        let result = recv(socket, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT))
        return !(result == 0 || (result < 0 && errno != EAGAIN && errno != EWOULDBLOCK))
    }

    static func reason(_ status: Int) -> String {
        switch status {
        case 200: "OK"
        case 400: "Bad Request"
        case 401: "Unauthorized"
        case 404: "Not Found"
        case 429: "Too Many Requests"
        case 500: "Internal Server Error"
        case 502: "Bad Gateway"
        case 503: "Service Unavailable"
        case 529: "Overloaded"
        default: "Status"
        }
    }
}
