import Foundation
import Synchronization
import Testing
import TestSupport

@testable import TelegramBot

@Suite struct FloodControlTests {
    /// Time is the test's own: a sleep moves the clock on by what was asked, so the waits are
    /// exact however loaded the machine is.
    @Test func aChatWaitsItsIntervalBetweenMessages() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let flood = FloodControl(sleep: { clock.advance($0) }, now: { clock.now })
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        #expect(await flood.waitTurn(chat: 2, isGroup: false), "another chat is not held up")
        #expect(clock.sleeps.isEmpty)
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        #expect(matches(clock.sleeps, [FloodControl.privateInterval]), "\(clock.sleeps)")
        clock.advance(10)
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        #expect(clock.sleeps.count == 2, "a chat quiet for longer than its interval goes at once")
    }

    @Test func aPauseAfterA429HoldsTheChatOrEveryone() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let flood = FloodControl(sleep: { clock.advance($0) }, now: { clock.now })
        await flood.pause(chat: 1, seconds: 7)
        #expect(await flood.waitTurn(chat: 2, isGroup: false))
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        #expect(matches(clock.sleeps, [7]), "\(clock.sleeps)")
        await flood.pause(chat: nil, seconds: 4)
        #expect(await flood.waitTurn(chat: 3, isGroup: false))
        #expect(matches(clock.sleeps, [7, 4]), "\(clock.sleeps)")
    }

    /// A preview cancelled while it waits (the answer is complete) must give up at once: cancelled
    /// sleeps return immediately, and waiting on would spin on a cooperative thread. The waiter's
    /// sleep lasts until it is cancelled, so nothing but the cancel can end it.
    @Test func aCancelledWaitGivesUpWithoutBookingTheSlot() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let holding = Mutex(true)
        let (asleep, signal) = AsyncStream<Void>.makeStream()
        let flood = FloodControl(
            sleep: { seconds in
                guard holding.withLock({ $0 }) else { return clock.advance(seconds) }
                clock.record(seconds)
                signal.yield()
                try? await Task.sleep(for: .seconds(3600))
            },
            now: { clock.now }
        )
        #expect(await flood.waitTurn(chat: 1, isGroup: true))
        let waiting = Task { await flood.waitTurn(chat: 1, isGroup: true) }
        var signals = asleep.makeAsyncIterator()
        _ = await signals.next()
        clock.advance(1)
        waiting.cancel()
        #expect(await waiting.value == false)
        #expect(clock.sleeps.count == 2, "it slept \(clock.sleeps.count - 1) times: spinning")
        // The slot was not taken: the next message waits out what is left of the first one's
        // interval, not a fresh interval from the cancelled one.
        holding.withLock { $0 = false }
        #expect(await flood.waitTurn(chat: 1, isGroup: true))
        #expect(matches(clock.sleeps, [FloodControl.groupInterval, 1, FloodControl.groupInterval - 1]), "\(clock.sleeps)")
    }
}

/// Equal to the microsecond: dates keep seconds as a Double, so 1.05 comes back as 1.0499999523.
private func matches(_ waits: [TimeInterval], _ expected: [TimeInterval]) -> Bool {
    waits.count == expected.count && zip(waits, expected).allSatisfy { abs($0 - $1) < 1e-6 }
}

@Suite struct FloodControlAnswerTests {
    /// A call that took 0.3 s to be answered: the next waits a whole interval from the answer,
    /// not the 0.7 s left of an interval counted from the send.
    @Test func theIntervalCountsFromTelegramsAnswer() async {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
        let flood = FloodControl(sleep: { clock.advance($0) }, now: { clock.now })
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        clock.record(0)  // the call is under way
        clock.advance(0.3)
        await flood.answered(chat: 1, isGroup: false)
        #expect(await flood.waitTurn(chat: 1, isGroup: false))
        let waited = clock.sleeps.last ?? 0
        #expect(abs(waited - FloodControl.privateInterval) < 1e-6, "waited \(waited) s")
    }
}
