public import Foundation
import Synchronization

/// Time that moves only when a test says so: `now` for the code under test's clock, `advance` to
/// move it, and — passed as a `sleep` — waits that return at once having moved time by what was
/// asked, so waits are exact however loaded the machine is. `sleeps` lists every move.
public final class ManualClock: Sendable {
    private let state: Mutex<(now: Date, sleeps: [TimeInterval])>

    /// 2026-11-24 13:59:00 UTC unless told otherwise: a minute before an hour rolls over.
    public init(_ start: Date = Date(timeIntervalSince1970: 1_795_960_740)) {
        state = Mutex((start, []))
    }

    public var now: Date { state.withLock { $0.now } }

    /// Every move and every recorded wait, in order.
    public var sleeps: [TimeInterval] { state.withLock { $0.sleeps } }

    /// Moves time on by `seconds` (a sleep that returns at once).
    public func advance(_ seconds: TimeInterval) {
        state.withLock {
            $0.now += seconds
            $0.sleeps.append(seconds)
        }
    }

    /// Notes a wait without moving time (a sleep the test holds open itself).
    public func record(_ seconds: TimeInterval) {
        state.withLock { $0.sleeps.append(seconds) }
    }
}
