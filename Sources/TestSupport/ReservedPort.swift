import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A port on 127.0.0.1 that is bound but not listening: connections to it are refused, and no
/// other server can take it while this object lives (a stopped server's port could be reused by
/// another test at once).
public final class ReservedPort: Sendable {
    public let port: Int
    private let socket: Int32

    public init() throws {
        (socket, port) = try FakeHTTPServer.bindLoopback()
    }

    deinit { close(socket) }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
}
