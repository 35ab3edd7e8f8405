import Foundation
import Synchronization
import Testing

@testable import TelegramBot

@Suite struct FloodControlTests {
    @Test func aChatWaitsItsIntervalBetweenMessages() async {
        let slept = Mutex<[TimeInterval]>([])
        let flood = FloodControl { seconds in
            slept.withLock { $0.append(seconds) }
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        #expect(await flood.waitTurn(chat: 2, isGroup: false), "another chat is not held up")
        #expect(slept.withLock { $0 }.isEmpty)
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        let waits = slept.withLock { $0 }
        #expect(waits.count >= 1 && waits.reduce(0, +) > 1.0 && waits.reduce(0, +) < 1.1, "\(waits)")
    }

    /// A preview cancelled while it waits (the answer is complete) must give up at once: cancelled
    /// sleeps return immediately, and waiting on would spin on a cooperative thread.
    @Test func aCancelledWaitGivesUpWithoutBookingTheSlot() async {
        let sleeps = Mutex(0)
        let flood = FloodControl { seconds in
            sleeps.withLock { $0 += 1 }
            try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
        }
        #expect(await flood.waitTurn(chat: 1, isGroup: true))
        let waiting = Task { await flood.waitTurn(chat: 1, isGroup: true) }
        try? await Task.sleep(for: .milliseconds(100))
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(sleeps.withLock { $0 } <= 2, "it slept \(sleeps.withLock { $0 }) times: spinning")
        // The slot was not taken: the next message waits for the first one's interval only.
        let started = ContinuousClock.now
        #expect(await flood.waitTurn(chat: 1, isGroup: true))
        #expect(ContinuousClock.now - started < .seconds(3.1))
    }
}
