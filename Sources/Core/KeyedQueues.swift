import Synchronization

/// One chain of work per key: work for a key runs in the order it was queued, keys in parallel,
/// and a key is forgotten once its chain is done — a bot that meets a million chats over a month
/// holds only those with work in flight.
public final class KeyedQueues<Key: Hashable & Sendable>: Sendable {
    /// A key's queued and running work, by the order it was queued.
    private typealias Chain = [Int: Task<Void, Never>]

    private struct State {
        var queued = 0
        var chains: [Key: Chain] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    /// Runs `work` after the work queued for `key` before it.
    public func enqueue(_ key: Key, _ work: @escaping @Sendable () async -> Void) {
        state.withLock { state in
            let previous = state.chains[key]?.max { $0.key < $1.key }?.value
            state.queued += 1
            let number = state.queued
            state.chains[key, default: [:]][number] = Task {
                await previous?.value
                await work()
                self.state.withLock { state in
                    state.chains[key]?[number] = nil
                    if state.chains[key]?.isEmpty == true { state.chains[key] = nil }
                }
            }
        }
    }

    /// Keys with work queued or running.
    public var activeKeys: Int { state.withLock { $0.chains.count } }

    /// Returns once every work queued so far (and any work it queues) has finished.
    public func waitUntilIdle() async {
        while true {
            let tasks = state.withLock { $0.chains.values.flatMap(\.values) }
            if tasks.isEmpty { return }
            for task in tasks { await task.value }
        }
    }

    /// Waits for every chain to finish, or for `deadline` to pass; whether they all finished.
    ///
    /// Not a task group: a group waits for all its children before it returns, and awaiting a
    /// task's value ignores cancellation, so the deadline would wait for the slowest chain.
    public func drain(within deadline: Duration) async -> Bool {
        let (outcome, report) = AsyncStream<Bool>.makeStream()
        let waiter = Task {
            await self.waitUntilIdle()
            report.yield(true)
        }
        let timer = Task {
            try? await Task.sleep(for: deadline)  // cancelled: the chains finished first, and this report is not read
            report.yield(false)
        }
        var first = outcome.makeAsyncIterator()
        let finished = await first.next() ?? true
        timer.cancel()
        waiter.cancel()
        report.finish()
        return finished
    }

    /// Cancels all queued and running work.
    public func cancelAll() {
        for task in state.withLock({ $0.chains.values.flatMap(\.values) }) { task.cancel() }
    }
}
