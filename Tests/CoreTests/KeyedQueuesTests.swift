import Synchronization
import Testing

@testable import Core

@Suite struct KeyedQueuesTests {
    /// Work for one key runs in order, and a key is forgotten once its work is done.
    @Test func eachKeyRunsInOrderAndIsForgottenWhenDone() async {
        let queues = KeyedQueues<Int>()
        let log = Mutex<[Int: [Int]]>([:])
        for item in 0..<50 {
            for key in 0..<200 {
                queues.enqueue(key) {
                    await Task.yield()
                    log.withLock { $0[key, default: []].append(item) }
                }
            }
        }
        await queues.waitUntilIdle()
        #expect(log.withLock { $0.values.allSatisfy { $0 == Array(0..<50) } }, "every key's work in the order queued")
        #expect(log.withLock { $0.count } == 200)
        #expect(queues.activeKeys == 0, "nothing kept for keys without work")
    }

    /// A drain gives up at its deadline while work still runs; cancelling reaches the running work.
    @Test func aDrainStopsAtItsDeadlineAndCancelReachesRunningWork() async {
        let queues = KeyedQueues<String>()
        let (started, signal) = AsyncStream<Void>.makeStream()
        queues.enqueue("slow") {
            signal.yield()
            try? await Task.sleep(for: .seconds(3_600))  // ended by the cancel below
        }
        var iterator = started.makeAsyncIterator()
        _ = await iterator.next()
        #expect(await queues.drain(within: .milliseconds(50)) == false)
        queues.cancelAll()
        #expect(await queues.drain(within: .seconds(30)))
        #expect(queues.activeKeys == 0)
    }
}
