import DequeModule
import Synchronization

/// A typed in-process broadcast: many subscribers, each with its own bounded buffer.
///
/// `publish` never waits: it appends to each subscriber's buffer and returns. When a buffer is
/// full, the oldest droppable element (a stream delta) goes first, else the oldest element, and the
/// subscriber's ``Subscription/droppedCount`` grows so it knows to rebuild from a snapshot. A
/// subscriber that never reads therefore costs the publisher a bounded amount of memory and time.
public final class EventBus<Element: Sendable>: Sendable {
    private struct State {
        var nextID: UInt64 = 0
        var subscribers: [UInt64: Subscriber<Element>] = [:] {
            // Publishing takes this copy (a retain), not a new array each time.
            didSet { current = Array(subscribers.values) }
        }
        var current: [Subscriber<Element>] = []
    }

    private let state = Mutex(State())
    /// How many subscribers there are, readable without the lock: with none (a headless bot
    /// without metrics), publishing costs one atomic load and no lock.
    private let liveSubscribers = Atomic<Int>(0)
    private let isDroppable: @Sendable (Element) -> Bool

    /// The buffer size used when a subscriber does not choose one.
    public static var defaultCapacity: Int { 1024 }

    /// A bus; `isDroppable` marks elements that may be dropped before others when a buffer is full.
    public init(isDroppable: @escaping @Sendable (Element) -> Bool = { _ in false }) {
        self.isDroppable = isDroppable
    }

    /// Delivers `element` to every current subscriber without waiting for any of them. With no
    /// subscriber the element is not even built (publishers sit on every request's path, some
    /// on every streamed token).
    public func publish(_ element: @autoclosure () -> Element) {
        guard hasSubscribers else { return }
        let element = element()
        let subscribers = state.withLock { $0.current }
        for subscriber in subscribers {
            subscriber.deliver(element, isDroppable: isDroppable)
        }
    }

    /// A new subscription that receives everything published from now on, buffering up to
    /// `capacity` elements it has not read yet.
    public func subscribe(capacity: Int = defaultCapacity) -> Subscription<Element> {
        let subscriber = Subscriber<Element>(capacity: max(1, capacity))
        let id = state.withLock { state in
            state.nextID += 1
            state.subscribers[state.nextID] = subscriber
            liveSubscribers.store(state.subscribers.count, ordering: .releasing)
            return state.nextID
        }
        return Subscription(subscriber: subscriber) { [weak self] in
            guard let self else { return }
            state.withLock { state in
                state.subscribers.removeValue(forKey: id)
                liveSubscribers.store(state.subscribers.count, ordering: .releasing)
            }
        }
    }

    /// Whether anyone listens, without the lock: a publisher may skip building an event nobody
    /// would receive.
    public var hasSubscribers: Bool { liveSubscribers.load(ordering: .acquiring) > 0 }

    /// The number of live subscriptions.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }
}

extension EventBus where Element == Event {
    /// The runtime's event bus: stream deltas are dropped first when an observer lags.
    public convenience init() {
        self.init(isDroppable: { $0.isDroppable })
    }
}

/// One subscriber's view of an ``EventBus``: an `AsyncSequence` of what was published since it
/// subscribed. It ends when cancelled, when the consuming task is cancelled, or when released.
public final class Subscription<Element: Sendable>: AsyncSequence, Sendable {
    fileprivate let subscriber: Subscriber<Element>
    private let onEnd: @Sendable () -> Void

    fileprivate init(subscriber: Subscriber<Element>, onEnd: @escaping @Sendable () -> Void) {
        self.subscriber = subscriber
        self.onEnd = onEnd
    }

    deinit { cancel() }

    /// Stops the subscription: pending reads return `nil` and the bus forgets it.
    public func cancel() {
        subscriber.finish()
        onEnd()
    }

    /// How many elements were dropped because this subscriber's buffer was full.
    public var droppedCount: Int { subscriber.droppedCount }

    /// How many elements wait to be read.
    public var bufferedCount: Int { subscriber.bufferedCount }

    /// Takes every buffered element without waiting (the console drains once per frame).
    public func drain() -> [Element] { subscriber.drain() }

    /// Iterates the subscription.
    public struct AsyncIterator: AsyncIteratorProtocol {
        let subscription: Subscription<Element>

        public mutating func next() async -> Element? {
            await subscription.subscriber.next()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(subscription: self)
    }
}

/// The buffer and the waiting reader of one subscription.
final class Subscriber<Element: Sendable>: Sendable {
    private struct State {
        var buffer: Deque<Element> = []
        var waiter: CheckedContinuation<Element?, Never>?
        var finished = false
        var dropped = 0
    }

    private let state = Mutex(State())
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    func deliver(_ element: Element, isDroppable: (Element) -> Bool) {
        let waiter: CheckedContinuation<Element?, Never>? = state.withLock { state in
            guard !state.finished else { return nil }
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            if state.buffer.count >= capacity {
                if let index = state.buffer.firstIndex(where: isDroppable) {
                    state.buffer.remove(at: index)
                } else {
                    state.buffer.removeFirst()
                }
                state.dropped += 1
            }
            state.buffer.append(element)
            return nil
        }
        waiter?.resume(returning: element)
    }

    func next() async -> Element? {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Element?, Never>) in
                let ready: Element?? = state.withLock { state in
                    if let element = state.buffer.popFirst() { return .some(element) }
                    if state.finished || Task.isCancelled { return .some(nil) }
                    state.waiter = continuation
                    return nil
                }
                if let ready { continuation.resume(returning: ready) }
            }
        } onCancel: {
            finish()
        }
    }

    func finish() {
        let waiter = state.withLock { state in
            state.finished = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(returning: nil)
    }

    func drain() -> [Element] {
        state.withLock { state in
            defer { state.buffer.removeAll() }
            return Array(state.buffer)
        }
    }

    var droppedCount: Int { state.withLock { $0.dropped } }
    var bufferedCount: Int { state.withLock { $0.buffer.count } }
}
