import HTTPTypes
import Foundation
import Hummingbird
import HummingbirdCore
import NIOCore
import NIOHTTPTypes
import Synchronization

/// How much of the server one client can hold, and for how long. The defaults serve Telegram
/// (a few connections, small updates sent at once) and keep strangers from exhausting the
/// process: a connection that sends nothing, headers that trickle in, a body that trickles or
/// never comes are all closed within seconds, and no more connections are served at once than
/// the process has file descriptors to spare.
public struct ConnectionLimits: Sendable, Hashable {
    /// Connections served at once; more wait in the kernel's backlog until one closes.
    public var maxConnections: Int
    /// How long a connection may go without a request's headers arriving whole (after it opens,
    /// or after its last response), or without a byte of a body it promised, before it is closed.
    public var idleTimeout: Duration
    /// How long one request may take from its headers to its body's last byte, however steadily
    /// the bytes trickle in.
    public var requestDeadline: Duration

    public init(maxConnections: Int = ConnectionLimits.fileDescriptorShare(), idleTimeout: Duration = .seconds(5), requestDeadline: Duration = .seconds(10)) {
        self.maxConnections = max(8, maxConnections)
        self.idleTimeout = idleTimeout
        self.requestDeadline = requestDeadline
    }

    public static let standard = ConnectionLimits()

    /// Half the process's file descriptors (the rest are for the database, the providers and
    /// Telegram), at most 1,024 and at least 16.
    public static func fileDescriptorShare() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 256 }
        return max(16, min(1_024, Int(clamping: limit.rlim_cur) / 2))
    }
}

/// The connections a server holds. At the cap, the one that has waited longest for a request is
/// closed to make room for the newcomer: connections that send nothing cannot keep Telegram out,
/// however many a stranger opens. (A connection whose request is being read or answered is never
/// closed for room; each is bounded by the request deadline.)
public final class ConnectionRegistry: Sendable {
    private struct Entry {
        let channel: any Channel
        /// Since when it waits for a request's headers; nil while a request is read or answered.
        var waitingSince: ContinuousClock.Instant?
    }

    private struct State {
        /// The connections open and not closed for room, by identity.
        var entries: [ObjectIdentifier: Entry] = [:]
        /// Accepted and not yet closed, as the server counts them (file descriptors in use).
        var open = 0
        var peak = 0
        var closedForRoom = 0
    }

    /// The server accepts new connections while fewer than this are open: one read of the
    /// listening socket accepts up to four at once (NIO's `maxMessagesPerRead`), so the count
    /// never passes the limit.
    let acceptingBelow: Int
    private let state = Mutex(State())

    init(limit: Int) {
        acceptingBelow = limit - 3
    }

    /// Connections open now.
    public var open: Int { state.withLock { $0.open } }
    /// The most open at once.
    public var peak: Int { state.withLock { $0.peak } }
    /// Connections closed to make room for newer ones.
    public var closedForRoom: Int { state.withLock { $0.closedForRoom } }

    /// Records a new connection; returns the connections to close to make room for it.
    fileprivate func opened(_ channel: any Channel) -> [any Channel] {
        state.withLock { state in
            state.entries[ObjectIdentifier(channel)] = Entry(channel: channel, waitingSince: .now)
            // Room for the next one too: the server stops accepting at the limit.
            let excess = state.entries.count - (acceptingBelow - 1)
            guard excess > 0 else { return [] }
            let idlest = state.entries.filter { $0.key != ObjectIdentifier(channel) && $0.value.waitingSince != nil }
                .sorted { $0.value.waitingSince! < $1.value.waitingSince! }
                .prefix(excess)
            for (key, _) in idlest { state.entries[key] = nil }  // closing: never chosen twice
            state.closedForRoom += idlest.count
            return idlest.map(\.value.channel)
        }
    }

    fileprivate func requestStarted(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = nil }
    }

    fileprivate func responseFinished(_ channel: any Channel) {
        state.withLock { $0.entries[ObjectIdentifier(channel)]?.waitingSince = .now }
    }

    fileprivate func closed(_ channel: any Channel) {
        _ = state.withLock { $0.entries.removeValue(forKey: ObjectIdentifier(channel)) }
    }

    fileprivate func accepted() {
        state.withLock { state in
            state.open += 1
            state.peak = max(state.peak, state.open)
        }
    }

    fileprivate func released() {
        state.withLock { $0.open -= 1 }
    }

    fileprivate var isFull: Bool { state.withLock { $0.open >= acceptingBelow } }
}

/// Hummingbird's gate on accepting connections: the server stops accepting at the cap and starts
/// again when one closes (the file descriptors stay below the process's limit).
struct ConnectionCap: AvailableConnectionsDelegate {
    let registry: ConnectionRegistry

    func connectionOpened() { registry.accepted() }
    func connectionClosed() { registry.released() }
    func isAcceptingNewConnections() -> Bool { !registry.isFull }
}

/// Sits on each connection's HTTP parts: closes it when a request has not arrived whole within
/// the deadline (the idle timeout alone is fooled by a body that trickles a byte at a time),
/// closes it after a response that says `Connection: close` instead of draining the body of a
/// refused request (a stranger's megabyte is never read), and keeps the registry told.
final class ConnectionGuard: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let requestDeadline: TimeAmount
    private let registry: ConnectionRegistry
    private var deadline: Scheduled<Void>?
    private var closeAfterResponse = false

    init(requestDeadline: Duration, registry: ConnectionRegistry) {
        self.requestDeadline = TimeAmount(requestDeadline)
        self.registry = registry
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        for idle in registry.opened(channel) { idle.close(promise: nil) }
        channel.closeFuture.whenComplete { [registry] _ in registry.closed(channel) }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            registry.requestStarted(context.channel)
            cancelDeadline()
            let channel = context.channel
            deadline = context.eventLoop.assumeIsolated().scheduleTask(in: requestDeadline) { channel.close(promise: nil) }
        case .end:
            cancelDeadline()
        case .body:
            break
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            if head.headerFields[.connection] == "close" { closeAfterResponse = true }
        case .end where closeAfterResponse:
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
            return
        case .end:
            registry.responseFinished(context.channel)
        case .body:
            break
        }
        context.write(data, promise: promise)
    }

    func channelInactive(context: ChannelHandlerContext) {
        cancelDeadline()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelDeadline()
    }

    private func cancelDeadline() {
        deadline?.cancel()
        deadline = nil
    }
}
