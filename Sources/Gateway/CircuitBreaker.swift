public import Core
public import Foundation
import Synchronization

/// One provider's circuit: closed (calls flow), open (calls skip it until a probe is due),
/// half-open (one probe call decides).
///
/// Opens when, among the last ``windowSize`` outcomes, at least ``minimumFailures`` failed and the
/// failure rate reached ``failureRateToOpen``. After ``openDuration`` one probe is let through.
public final class CircuitBreaker: Sendable {
    public struct Status: Sendable, Hashable {
        public var state: CircuitState
        /// When an open circuit lets the next probe through.
        public var probeAt: Date?
    }

    struct State {
        var circuit: CircuitState = .closed
        var outcomes: [Bool] = []  // true = failure
        var openedAt: Date?
        var probeInFlight = false
    }

    public static let windowSize = 20
    public static let minimumFailures = 5
    public static let failureRateToOpen = 0.5
    public static let openDuration: TimeInterval = 30

    public let provider: String
    private let state = Mutex(State())
    private let clock: @Sendable () -> Date
    private let onChange: @Sendable (CircuitState) -> Void

    /// A closed circuit for `provider`; `onChange` hears every transition.
    public init(provider: String, clock: @escaping @Sendable () -> Date = { Date() }, onChange: @escaping @Sendable (CircuitState) -> Void = { _ in }) {
        self.provider = provider
        self.clock = clock
        self.onChange = onChange
    }

    /// The state now, as every reader reports it (console, `stats`, `/metrics`, the router): an
    /// open circuit stays open, with its probe due, until the probe call starts (half-open).
    public var status: Status {
        state.withLock { state in
            Status(state: state.circuit, probeAt: state.circuit == .open ? state.openedAt.map { $0.addingTimeInterval(Self.openDuration) } : nil)
        }
    }

    /// Whether an open circuit's probe is due at `date` (the router then offers the provider).
    public static func probeIsDue(_ status: Status, at date: Date) -> Bool {
        status.state == .open && (status.probeAt.map { $0 <= date } ?? false)
    }

    /// Gives the probe back without a verdict (the call was refused by a budget, cancelled or
    /// malformed: it says nothing about the provider), so that the next call probes instead of
    /// the circuit staying half-open with nobody allowed through.
    public func releaseProbe() {
        state.withLock { state in
            if state.circuit == .halfOpen { state.probeInFlight = false }
        }
    }

    /// Asks to make a call: `false` while open, and for all but one caller while half-open.
    public func allowRequest() -> Bool {
        let now = clock()
        var changed: CircuitState?
        let allowed = state.withLock { state -> Bool in
            switch state.circuit {
            case .closed:
                return true
            case .open:
                guard let opened = state.openedAt, now.timeIntervalSince(opened) >= Self.openDuration else { return false }
                state.circuit = .halfOpen
                state.probeInFlight = true
                changed = .halfOpen
                return true
            case .halfOpen:
                guard !state.probeInFlight else { return false }
                state.probeInFlight = true
                return true
            }
        }
        if let changed { onChange(changed) }
        return allowed
    }

    /// Records a call's outcome.
    public func record(success: Bool) {
        let now = clock()
        let changed: CircuitState? = state.withLock { state in
            switch state.circuit {
            case .halfOpen:
                state.probeInFlight = false
                if success {
                    state = State()
                    return .closed
                }
                state.circuit = .open
                state.openedAt = now
                return .open
            case .open:
                return nil
            case .closed:
                state.outcomes.append(!success)
                if state.outcomes.count > Self.windowSize { state.outcomes.removeFirst(state.outcomes.count - Self.windowSize) }
                let failures = state.outcomes.filter { $0 }.count
                guard failures >= Self.minimumFailures, Double(failures) / Double(state.outcomes.count) >= Self.failureRateToOpen else { return nil }
                state.circuit = .open
                state.openedAt = now
                return .open
            }
        }
        if let changed { onChange(changed) }
    }
}
