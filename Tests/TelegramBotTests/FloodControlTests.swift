import Foundation
import Synchronization
import Testing

@testable import TelegramBot

@Suite struct FloodControlTests {
    /// Bounds that a loaded machine cannot break: the second message goes at least an interval
    /// after the first, and no single wait asks for more than an interval.
    @Test func aChatWaitsItsIntervalBetweenMessages() async {
        let slept = Mutex<[TimeInterval]>([])
        let flood = FloodControl { seconds in
            slept.withLock { $0.append(seconds) }
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }
        let first = ContinuousClock.now
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        #expect(await flood.waitTurn(chat: 2, isGroup: false), "another chat is not held up")
        #expect(slept.withLock { $0 }.isEmpty)
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        // 10 ms for the flood control's wall clock against this monotonic one.
        #expect(ContinuousClock.now - first >= .milliseconds(Int(FloodControl.privateInterval * 1000) - 10))
        let waits = slept.withLock { $0 }
        #expect(waits.allSatisfy { $0 > 0 && $0 <= FloodControl.privateInterval }, "\(waits)")
    }

    /// A preview cancelled while it waits (the answer is complete) must give up at once: cancelled
    /// sleeps return immediately, and waiting on would spin on a cooperative thread.
    /// Timing-free: the cancel comes once the waiter is known to be asleep (a loaded machine can
    /// stall a fixed pause past the whole interval), and "the slot was not taken" is read from the
    /// wait the next message asks for, not from a wall clock.
    @Test func aCancelledWaitGivesUpWithoutBookingTheSlot() async {
        let waits = Mutex<[TimeInterval]>([])
        let (asleep, signal) = AsyncStream<Void>.makeStream()
        let flood = FloodControl { seconds in
            waits.withLock { $0.append(seconds) }
            signal.yield()
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }
        #expect(await flood.waitTurn(chat: 1, isGroup: true))
        let waiting = Task { await flood.waitTurn(chat: 1, isGroup: true) }
        var signals = asleep.makeAsyncIterator()
        _ = await signals.next()
        try? await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        #expect(await waiting.value == false)
        let sleptWhileWaiting = waits.withLock { $0.count }
        #expect(sleptWhileWaiting <= 2, "it slept \(sleptWhileWaiting) times: spinning")
        // The slot was not taken: the next message waits out what is left of the first one's
        // interval (at least 100 ms has passed), not a fresh interval from the cancelled one.
        #expect(await flood.waitTurn(chat: 1, isGroup: true))
        let nextWaits = waits.withLock { Array($0.dropFirst(sleptWhileWaiting)) }
        #expect(nextWaits.allSatisfy { $0 < FloodControl.groupInterval - 0.09 }, "\(nextWaits)")
    }
}
