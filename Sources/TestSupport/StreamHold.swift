import Foundation
import Synchronization

/// Holds a fake provider's stream before one chunk until the test opens it, so a test can look at
/// what a client did with the chunks so far without racing the stream (a draft showing exactly
/// the first word, say). Opens by itself after 30 s so a failing test cannot hang.
public final class StreamHold: Sendable {
    /// The chunk the stream waits before (0-based).
    public let beforeChunk: Int
    private let isOpen = Mutex(false)

    public init(beforeChunk: Int) {
        self.beforeChunk = beforeChunk
    }

    public func open() {
        isOpen.withLock { $0 = true }
    }

    /// Called by the fake's connection thread.
    func wait() {
        let deadline = Date().addingTimeInterval(30)
        while !isOpen.withLock({ $0 }) && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.005)
        }
    }
}
