import Foundation
import Synchronization

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

    /// Ports released for a process under test to listen on; the fake servers of this test
    /// process never bind them (the kernel would otherwise hand a just-released port to the next
    /// fake started by a test running in parallel).
    static let released = Mutex<Set<Int>>([])

    /// A free port for another process to listen on: released now, and kept from the fakes.
    public static func release() throws -> Int {
        let reserved = try ReservedPort()
        released.withLock { _ = $0.insert(reserved.port) }
        return reserved.port
    }

    /// `http://127.0.0.1:PORT`.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
}
