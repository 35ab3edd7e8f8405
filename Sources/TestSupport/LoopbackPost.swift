public import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A minimal HTTP/1.1 POST over a plain socket, for fakes that call the code under test (as
/// Telegram calls a webhook). Returns the status code, or `nil` when nothing answered.
public enum LoopbackPost {
    public static func send(to url: String, headers: [(String, String)] = [], body: Data, timeout: TimeInterval = 10) -> Int? {
        guard let components = URLComponents(string: url), let host = components.host, let port = components.port else { return nil }
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { return nil }
        defer { close(socket) }
        var time = timeval(tv_sec: Int(timeout), tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &time, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, host == "localhost" ? "127.0.0.1" : host, &address.sin_addr) == 1 else { return nil }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let path = components.path.isEmpty ? "/" : components.path
        var head = "POST \(path) HTTP/1.1\r\nHost: \(host):\(port)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let request = Array((head + "\r\n").utf8) + Array(body)
        var sent = 0
        while sent < request.count {
            let written = request[sent...].withUnsafeBytes { write(socket, $0.baseAddress, $0.count) }
            guard written > 0 else { return nil }
            sent += written
        }
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
}
