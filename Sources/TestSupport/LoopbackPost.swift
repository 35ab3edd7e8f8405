public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 POST over a plain socket, for fakes that call the code under test (as
/// Telegram calls a webhook). Returns the status code, or `nil` when nothing answered.
public enum LoopbackPost {
    public static func send(to url: String, headers: [(String, String)] = [], body: Data, timeout: TimeInterval = 10) -> Int? {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port,
            let connection = try? RawConnection(host: host, port: port, timeout: timeout)
        else { return nil }
        let path = components.path.isEmpty ? "/" : components.path
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        guard connection.send(Array((head + "\r\n").utf8) + Array(body)) else { return nil }
        return connection.readStatus()
    }
}

/// A TCP connection driven byte by byte, to behave as a slow, stalled or hostile HTTP client
/// would: send headers and withhold the body, trickle it, or never send a request at all.
/// Every wait is bounded by the connection's `timeout`.
public final class RawConnection: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let socket: Int32
    private let timeout: TimeInterval

    /// Connects to `host:port` (IPv4). A connection the server has not accepted yet (it waits in
    /// the kernel's backlog) still connects.
    public init(host: String = "127.0.0.1", port: Int, timeout: TimeInterval = 10) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        self.timeout = timeout
        var time = timeval(tv_sec: Int(timeout), tv_usec: Int(timeout.truncatingRemainder(dividingBy: 1) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(socket, SOL_SOCKET, SO_SNDTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else {
            close(socket)
            throw Failure(description: "not an IPv4 address: \(host)")
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            let code = errno
            close(socket)
            throw Failure(description: "connect to \(host):\(port): errno \(code)")
        }
    }

    deinit { close(socket) }

    /// Sends all of `bytes`; false when the server closed the connection (or the send timed out).
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let written = bytes[sent...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            sent += written
        }
        return true
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// The status code of the response's first line, or nil when the connection ended (or the
    /// timeout passed) before one came.
    public func readStatus() -> Int? {
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while !response.contains(UInt8(ascii: "\n")) {
            let count = read(socket, &buffer, buffer.count)
            guard count > 0 else { break }
            response += buffer[..<count]
        }
        // "HTTP/1.1 200 OK"
        let statusLine = String(decoding: response.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        return statusLine.split(separator: " ").dropFirst().first.flatMap { Int($0) }
    }

    /// Whether the server closes the connection within `seconds` (the connection's timeout when
    /// nil), discarding whatever it sends before. Waits on the socket, not on a clock.
    public func closedByServer(within seconds: TimeInterval? = nil) -> Bool {
        let deadline = Date().addingTimeInterval(seconds ?? timeout)
        var buffer = [UInt8](repeating: 0, count: 4_096)
        while true {
            let left = deadline.timeIntervalSinceNow
            guard left > 0 else { return false }
            var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, Int32(left * 1_000) + 1)
            if ready < 0 && errno == EINTR { continue }
            guard ready > 0 else { return false }
            let count = recv(socket, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if count == 0 { return true }  // end of stream
            if count < 0 && errno != EAGAIN && errno != EWOULDBLOCK { return true }  // reset
        }
    }
}

/// Runs blocking socket work (``RawConnection``, ``LoopbackPost``) on a thread of its own, so
/// that waiting on a socket does not hold one of the few threads Swift's tasks run on.
public func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread.detachNewThread { continuation.resume(returning: work()) }
    }
}
